import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { freePort } from '../helpers/gateway.js';
import { startServerProcess } from '../helpers/server-process.js';

const CALLS = 8;

test('kill -9 during calls loses at most the last few hundred ms of call events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-crash-'));
  const port = await freePort();
  const env = { PORT: String(port), DATA_DIR: dir, DEFAULT_AGENT: 'echo', LOG_LEVEL: 'warn' };
  const base = `http://127.0.0.1:${port}`;
  const first = startServerProcess(env);
  const sent = new Map<string, Array<{ digit: string; at: number }>>();
  let killedAt = 0;
  try {
    await first.listening;
    const sockets: ExotelSocket[] = [];
    for (let i = 0; i < CALLS; i++) {
      const id = `crash${i}`;
      await fetch(`${base}/voicebot/connect?CallSid=${id}&CallFrom=0987654321${i}&CallTo=08047491899&Direction=incoming`);
      const s = await ExotelSocket.open(`ws://127.0.0.1:${port}/voicebot/ws?call_id=${id}`);
      s.start({ callSid: id });
      sockets.push(s);
      sent.set(id, []);
    }
    // Every call keeps streaming and pressing keys (each press is a timeline event) until the kill.
    const silence = new Int16Array(160);
    const digits = '0123456789';
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 2500) {
      for (let i = 0; i < CALLS; i++) {
        sockets[i].media(silence);
        if (n % 5 === 0) {
          const digit = digits[(n / 5) % 10];
          sockets[i].send({ event: 'dtmf', dtmf: { digit, duration: '100' } });
          sent.get(`crash${i}`)!.push({ digit, at: Date.now() });
        }
      }
      n++;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    killedAt = Date.now();
    await first.exited;
  } finally {
    first.child.kill('SIGKILL');
  }

  const second = startServerProcess(env);
  try {
    await second.listening;
    for (const [id, presses] of sent) {
      const rec = (await (await fetch(`${base}/calls/${id}`)).json()) as any;
      const types: string[] = rec.events.map((e: { type: string }) => e.type);
      for (const t of ['webhook', 'ws-open', 'start']) assert.ok(types.includes(t), `${id}: ${t} survived`);
      const recorded = rec.events.filter((e: { type: string }) => e.type === 'dtmf').length;
      const settled = presses.filter((p) => p.at < killedAt - 400).length;
      assert.ok(recorded >= settled, `${id}: ${recorded} key presses on record, ${settled} were pressed more than 400 ms before the kill`);
      assert.ok(recorded <= presses.length);
      // The restarted server closes what the dead one left open.
      assert.equal(rec.status, 'completed');
      assert.equal(rec.endReason, 'error');
      assert.ok(types.includes('orphaned'));
    }
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
