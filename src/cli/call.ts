import { parseArgs } from 'node:util';
import { ConfigError, loadClientConfig } from '../config/env.js';

const USAGE = `usage: exovoice call <number> [options]

Places an outbound call through a running Exovoice server (POST /call).

  --from <number>        caller id (default: the server's EXOTEL_CALLER_ID)
  --agent <name>         agent for the call
  --call-log-id <id>     your id for the call; repeating it never dials twice
  --url <base>           server base URL (default http://127.0.0.1:$PORT, PORT defaulting to 8080)
  --api-key <key>        admin API key (default: $API_KEY)
Exit code: 0 placed, 1 refused, 2 usage or connection error.
`;

/** `exovoice call <number>`: the same as `POST /call`, from the command line. */
export async function callCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        agent: { type: 'string' },
        'call-log-id': { type: 'string' },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`exovoice call: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`exovoice call: give exactly one number to call\n${USAGE}`);
    return 2;
  }
  let env;
  try {
    env = loadClientConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`exovoice call: ${err.message}\n`);
    return 2;
  }
  if (values.url !== undefined && !isHttpUrl(values.url)) {
    process.stderr.write(`exovoice call: --url must be an absolute http(s):// URL, e.g. http://127.0.0.1:8080\n`);
    return 2;
  }
  const base = (values.url ?? `http://127.0.0.1:${env.port}`).replace(/\/+$/, '');
  const apiKey = values['api-key'] ?? env.apiKey;
  const body = {
    to: positionals[0],
    ...(values.from ? { from: values.from } : {}),
    ...(values.agent ? { agent: values.agent } : {}),
    ...(values['call-log-id'] ? { callLogId: values['call-log-id'] } : {}),
  };
  let res: Response;
  try {
    res = await fetch(`${base}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    process.stderr.write(`exovoice call: cannot reach ${base}: ${(err as Error).message}\n`);
    return 2;
  }
  const text = await res.text();
  if (res.ok) {
    process.stdout.write(`${text}\n`);
    return 0;
  }
  const retry = res.headers.get('retry-after');
  process.stderr.write(`exovoice call: HTTP ${res.status}${retry ? ` (retry after ${retry} s)` : ''}: ${text}\n`);
  return 1;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
