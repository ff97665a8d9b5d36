// A real TCP proxy on loopback between a client and a server (e.g. the store and Postgres), that a test
// can cut and restore: 'reset' closes every connection and refuses new ones at once (a server gone or
// restarting); 'silent' keeps the sockets open but forwards nothing (a network that drops packets).
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class TcpRelay {
  private server: Server | null = null;
  private readonly pairs = new Set<Pair>();
  private readonly held = new Set<Socket>();
  private state: 'open' | 'reset' | 'silent' = 'open';
  /** Connections accepted so far (forwarded or not). */
  accepted = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** Connections currently forwarded. */
  get open(): number {
    return this.pairs.size;
  }

  cut(mode: 'reset' | 'silent'): void {
    this.state = mode;
    for (const p of this.pairs) {
      if (mode === 'reset') {
        p.client.destroy();
        p.upstream.destroy();
      } else {
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        p.client.pause();
        p.upstream.pause();
        this.held.add(p.client);
        this.held.add(p.upstream);
      }
    }
    this.pairs.clear();
  }

  /** Forwards new connections again; connections held by a silent cut are closed (their streams are torn). */
  restore(): void {
    this.state = 'open';
    for (const s of this.held) s.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.cut('reset');
    this.restore();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.state === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (this.state === 'silent') {
      client.pause();
      this.held.add(client);
      return;
    }
    const upstream = createConnection({ port: this.targetPort, host: this.targetHost });
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
