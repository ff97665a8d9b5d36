import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createFliteTts } from '../providers/tts/flite.js';
import type { TextToSpeech } from '../providers/types.js';
import {
  formatReport,
  formatScriptReport,
  loadCallScript,
  reportToJson,
  runCallScript,
  ScriptError,
  scriptReportToJson,
  simulateCall,
  START_SHAPES,
  type CallScript,
  type ScriptCallRecord,
  type SimulateOptions,
  type StartShape,
} from '../sim/index.js';

const USAGE = `usage: exovoice simulate [options]

Plays Exotel's Voicebot applet against a running bot server and reports what the caller heard.

  --url <url>            dynamic-URL webhook (http/https) or stream URL (ws/wss; user:pass@ -> Basic auth)
                         default http://127.0.0.1:8080/api/v1/exotel/voice/connect
  --method GET|POST      webhook method (default GET)
  --body form|json       webhook POST body (default form)
  --agent <name>         adds agent=<name> to the webhook params (or to a ws:// URL's query)
  --from <number>        caller number (default 09876543210)
  --to <number>          ExoPhone (default 08047491899)
  --sample-rate <hz>     adds sample-rate=<hz> to a ws:// URL (8000, 16000, 24000)
  --wav <file>           caller speech, any WAV rate (resampled); silence afterwards
  --duration <s>         stay on the call this long unless the bot hangs up (default 10)
  --frame-ms 20|100      caller media frame size (default 100)
  --dtmf "1@3.5,#@5"     keypresses at seconds after start
  --token <token>        Authorization: Bearer <token> on the webhook and the WebSocket
  --shape <shape>        start message shape: ${START_SHAPES.join(', ')} (default canonical)
  --burst-ms <ms>        queued-ahead audio counted as a burst (default 500)
  --out <file.wav>       write what the caller heard
  --json                 print the report as JSON
  --script <file.yaml>   play a scripted conversation (say/wav/dtmf/pause/hangup turns) and check each
                         turn's expectations (replyContains, intent, maxLatencyMs, clear, endsCall);
                         replaces --wav, --dtmf, --duration and --out
  --admin-url <url>      where the script reads the call record (GET /calls/:id); default the --url origin
  --api-key <key>        the gateway's API_KEY for that read (default $API_KEY)
Exit code: 0 clean (script: every expectation met), 1 Exotel rule violations or a failed expectation,
2 usage, script or connection error.
`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

class UsageError extends Error {}

/** "1@3.5,#@5" -> keypresses at ms after start. */
export function parseDtmfSchedule(spec: string): Array<{ digit: string; atMs: number }> {
  return spec
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const match = /^\s*([0-9*#])@(\d+(?:\.\d+)?)\s*$/.exec(item);
      if (!match) throw new UsageError(`--dtmf item "${item}" is not <digit>@<seconds>`);
      return { digit: match[1], atMs: Math.round(Number(match[2]) * 1000) };
    });
}

/** Appends query items to a URL string without re-encoding what is already there. */
function appendQuery(url: string, items: Record<string, string>): string {
  const extra = new URLSearchParams(items).toString();
  if (extra === '') return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  return base + (base.includes('?') ? '&' : '?') + extra + (hash === -1 ? '' : url.slice(hash));
}

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number`);
  return n;
}

interface Parsed {
  options: SimulateOptions;
  json: boolean;
  script?: { script: CallScript; adminUrl: string; apiKey?: string };
}

async function buildOptions(argv: string[]): Promise<Parsed | 'help'> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080/api/v1/exotel/voice/connect' },
      method: { type: 'string', default: 'GET' },
      body: { type: 'string', default: 'form' },
      wav: { type: 'string' },
      duration: { type: 'string' },
      'frame-ms': { type: 'string', default: '100' },
      dtmf: { type: 'string' },
      agent: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'sample-rate': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      token: { type: 'string' },
      shape: { type: 'string', default: 'canonical' },
      'burst-ms': { type: 'string' },
      script: { type: 'string' },
      'admin-url': { type: 'string' },
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const method = values.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new UsageError('--method must be GET or POST');
  if (values.body !== 'form' && values.body !== 'json') throw new UsageError('--body must be form or json');
  const frameMs = Number(values['frame-ms']);
  if (frameMs !== 20 && frameMs !== 100) throw new UsageError('--frame-ms must be 20 or 100');
  if (!START_SHAPES.includes(values.shape as StartShape)) throw new UsageError(`--shape must be one of ${START_SHAPES.join(', ')}`);
  let script: CallScript | undefined;
  if (values.script !== undefined) {
    for (const flag of ['wav', 'dtmf', 'duration', 'out'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --script (the script says what the caller does)`);
    }
    script = loadCallScript(values.script);
    values.agent ??= script.agent;
    // A script's rate is for ws:// URLs; against a webhook the gateway's answer chooses it.
    if (script.sampleRate !== undefined && /^wss?:\/\//i.test(values.url)) values['sample-rate'] ??= String(script.sampleRate);
  }
  let url = values.url;
  const direct = /^wss?:\/\//i.test(url);
  if (!direct && !/^https?:\/\//i.test(url)) throw new UsageError('--url must start with http://, https://, ws:// or wss://');
  if (values['sample-rate'] !== undefined) {
    if (!['8000', '16000', '24000'].includes(values['sample-rate'])) throw new UsageError('--sample-rate must be 8000, 16000 or 24000');
    if (!direct) throw new UsageError('--sample-rate applies to ws:// URLs; a webhook chooses the rate in the URL it returns');
  }
  if (direct) {
    const extra: Record<string, string> = {};
    if (values['sample-rate'] !== undefined && !/[?&]sample-rate=/.test(url)) extra['sample-rate'] = values['sample-rate'];
    if (values.agent !== undefined) extra.agent = values.agent;
    url = appendQuery(url, extra);
  }
  const options: SimulateOptions = {
    url,
    method,
    webhookBody: values.body,
    webhookParams: !direct && values.agent !== undefined ? { agent: values.agent } : undefined,
    from: values.from,
    to: values.to,
    headers: values.token ? { Authorization: `Bearer ${values.token}` } : undefined,
    callerFrameMs: frameMs,
    startShape: values.shape as StartShape,
    burstThresholdMs: positiveNumber(values['burst-ms'], '--burst-ms', 500),
    durationMs: positiveNumber(values.duration, '--duration', 10) * 1000,
    dtmf: values.dtmf ? parseDtmfSchedule(values.dtmf) : undefined,
    outWav: values.out,
  };
  if (values.wav) options.audio = await readFile(values.wav);
  if (!script) return { options, json: values.json };
  const adminUrl = values['admin-url'] ?? new URL(url.replace(/^ws/i, 'http')).origin;
  if (!/^https?:\/\//i.test(adminUrl)) throw new UsageError('--admin-url must start with http:// or https://');
  return { options, json: values.json, script: { script, adminUrl, apiKey: values['api-key'] ?? process.env.API_KEY } };
}

/**
 * The call's record from the gateway's admin API, once the call is over there (endedAt set): records are written
 * behind the call, so a read right after the hang-up can find it still open.
 */
async function fetchCallRecord(adminUrl: string, apiKey: string | undefined, callSid: string): Promise<ScriptCallRecord> {
  const url = `${adminUrl.replace(/\/+$/, '')}/calls/${encodeURIComponent(callSid)}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw new Error(`GET ${url} failed: ${(err as Error).message}`);
    }
    const done = Date.now() >= deadline;
    if (res.status === 404 && !done) {
      await res.body?.cancel();
    } else if (!res.ok) {
      const hint = res.status === 404 ? ' (is the gateway recording calls? it needs a call store)' : res.status === 401 ? ' (pass --api-key)' : '';
      throw new Error(`GET ${url}: HTTP ${res.status}${hint}`);
    } else {
      const record = (await res.json()) as ScriptCallRecord & { endedAt?: number | null };
      if (record.endedAt != null || done) return record;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let flite: TextToSpeech | undefined;

/** `say:` lines in the offline flite voice, at 16 kHz (the simulator resamples to the stream's rate). */
async function speak(text: string, voice: string): Promise<{ samples: Int16Array; sampleRate: number }> {
  flite ??= createFliteTts();
  const rate = voice === 'kal' ? 8000 : 16000;
  return { samples: (await flite.synthesize(text, { voice, sampleRate: rate })).samples, sampleRate: rate };
}

async function scriptCommand(parsed: Parsed & { script: NonNullable<Parsed['script']> }, io: CliIo): Promise<number> {
  const { script, adminUrl, apiKey } = parsed.script;
  let report;
  try {
    report = await runCallScript({
      script,
      call: parsed.options,
      speak,
      fetchRecord: (callSid) => fetchCallRecord(adminUrl, apiKey, callSid),
    });
  } catch (err) {
    io.err(`exovoice simulate: ${(err as Error).message}\n`);
    return 2;
  }
  io.out(parsed.json ? `${JSON.stringify(scriptReportToJson(report), null, 2)}\n` : `${formatScriptReport(report)}\n`);
  return report.passed ? 0 : 1;
}

/** `exovoice simulate …`; returns the exit code. */
export async function simulateCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  let parsed: Awaited<ReturnType<typeof buildOptions>>;
  try {
    parsed = await buildOptions(argv);
  } catch (err) {
    // A script's mistakes are the script's, not the command line's: no usage text to bury them under.
    io.err(err instanceof ScriptError ? `exovoice simulate: ${err.message}\n` : `exovoice simulate: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (parsed.script) return scriptCommand({ ...parsed, script: parsed.script }, io);
  let report;
  try {
    report = await simulateCall(parsed.options);
  } catch (err) {
    io.err(`exovoice simulate: ${(err as Error).message}\n`);
    return 2;
  }
  io.out(parsed.json ? `${JSON.stringify(reportToJson(report), null, 2)}\n` : `${formatReport(report)}\n`);
  if (parsed.options.outWav && !parsed.json) io.out(`wrote ${parsed.options.outWav}\n`);
  return report.violations.length === 0 ? 0 : 1;
}
