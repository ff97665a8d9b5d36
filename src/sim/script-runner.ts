import { readFile, stat } from 'node:fs/promises';
import type { CallerAudioInput } from './caller-audio.js';
import type { SimCallOptions } from './call-setup.js';
import type { SimReport } from './report.js';
import { reportToJson } from './report.js';
import type { CallerVoice, CallScript, ScriptStep, TurnExpectation } from './script.js';
import { SimulatedCall } from './simulated-call.js';

/**
 * Plays a call script against a bot and checks each turn's expectations.
 *
 * The caller recognises nothing itself. Timing comes from the simulated line: a turn's latency is from the
 * end of the caller's input (last audio sample or keypress sent) to the first bot audio frame after it. What
 * the agent said and why comes from the gateway's call record (GET /calls/:id) once the call is over: the
 * reply is identified by the gateway's mark names (`<replyId>.<sentence>`) on the line, its text is the
 * transcript's agent turn for that reply and its intent the `label` of its `turn.reply-text` event.
 */

/** The parts of a gateway call record (GET /calls/:id) the checks read. */
export interface ScriptCallRecord {
  events: Array<{ type: string; data: Record<string, unknown> }>;
  transcript: Array<{ role: string; text: string; interrupted?: boolean; heardText?: string }>;
}

export interface ScriptRunOptions {
  script: CallScript;
  call: SimCallOptions;
  /** Speech for a `say:` line in a caller voice (the CLI passes the offline flite voice). */
  speak: (text: string, voice: CallerVoice) => Promise<{ samples: Int16Array; sampleRate: number }>;
  /** The call's record once it is over; throws (message = why) when there is none to be had. */
  fetchRecord?: (callSid: string) => Promise<ScriptCallRecord>;
}

export interface TurnResult {
  /** 1-based, as the report prints it. */
  turn: number;
  line: number;
  kind: ScriptStep['kind'];
  label: string;
  played: boolean;
  startMs?: number;
  endMs?: number;
  /** End of this input to the first bot audio after it; null when none came before the next input. */
  latencyMs: number | null;
  replyAudioMs: number;
  replyId?: string;
  replyText?: string;
  /** What the caller heard of a reply cut by barge-in. */
  heardText?: string;
  interrupted?: boolean;
  intent?: string;
  /** What the gateway recognised of this input (its transcript of the caller). */
  recognised?: string;
  clear: boolean;
  endedCall: boolean;
  expectations: number;
  failures: string[];
}

export interface ScriptReport {
  script: string;
  file: string;
  callSid: string;
  passed: boolean;
  turns: TurnResult[];
  recordError?: string;
  call: SimReport;
}

const MAX_WAV_BYTES = 50 * 1024 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function stepLabel(step: ScriptStep): string {
  switch (step.kind) {
    case 'say':
      return `say "${step.say}"`;
    case 'wav':
      return `wav ${step.wav}`;
    case 'dtmf':
      return `dtmf ${step.dtmf}`;
    case 'pause':
      return `pause ${step.pauseMs / 1000} s`;
    case 'hangup':
      return 'hangup';
  }
}

function isInput(step: ScriptStep): step is Extract<ScriptStep, { kind: 'say' | 'wav' | 'dtmf' }> {
  return step.kind === 'say' || step.kind === 'wav' || step.kind === 'dtmf';
}

async function readWavFile(path: string): Promise<Buffer> {
  const s = await stat(path);
  if (!s.isFile()) throw new Error(`${path}: not a regular file`);
  if (s.size > MAX_WAV_BYTES) throw new Error(`${path}: ${s.size} bytes, more than the ${MAX_WAV_BYTES} allowed`);
  return readFile(path);
}

/** Follows the bot's audio as it plays, for "wait until the agent is done speaking" and barge-in timing. */
export class BotAudio {
  readonly frames: Array<{ atMs: number; durationMs: number }> = [];
  readonly starts: number[] = [];
  playing = false;
  idleSinceMs = 0;

  constructor(call: SimulatedCall) {
    call.on('botMedia', (f) => {
      if (f.queued) this.frames.push({ atMs: f.atMs, durationMs: f.durationMs });
    });
    call.on('playoutStarted', (e) => {
      this.playing = true;
      this.starts.push(e.atMs);
    });
    call.on('playoutIdle', (e) => {
      this.playing = false;
      this.idleSinceMs = e.atMs;
    });
  }

  lastFrameAtMs(): number {
    return this.frames.at(-1)?.atMs ?? -1;
  }
}

/** Resolves true once `cond` holds (checked every 20 ms), false on timeout or when the call ends. */
export async function until(call: SimulatedCall, cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!call.isClosed) {
    if (cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return false;
}

/**
 * Waits for the bot to finish speaking: for its first audio after `sinceMs` (up to `replyTimeoutMs`) when
 * `awaitReply`, then until its audio has stopped for `quietMs`.
 */
export async function botDone(call: SimulatedCall, bot: BotAudio, o: { sinceMs: number; awaitReply: boolean; replyTimeoutMs: number; quietMs: number }): Promise<void> {
  if (o.awaitReply) await until(call, () => bot.lastFrameAtMs() >= o.sinceMs, o.replyTimeoutMs);
  // Quiet since the last frame arrived as well as since playout went idle: a frame just in has not started playing.
  await until(call, () => !bot.playing && call.elapsedMs() - Math.max(bot.idleSinceMs, bot.lastFrameAtMs()) >= o.quietMs, 120_000);
}

/** Plays `options.script`; throws only when the call cannot be set up (or an utterance cannot be prepared). */
export async function runCallScript(options: ScriptRunOptions): Promise<ScriptReport> {
  const { script } = options;
  // Every utterance is ready before dialling: synthesising mid-call would hold the caller's frame clock up.
  const audio = new Map<number, CallerAudioInput>();
  for (const [i, step] of script.steps.entries()) {
    if (step.kind === 'say') audio.set(i, await options.speak(step.say, script.voice));
    if (step.kind === 'wav') {
      try {
        audio.set(i, await readWavFile(step.path));
      } catch (err) {
        throw new Error(`turn ${i + 1} (line ${step.line}): ${(err as Error).message}`);
      }
    }
  }

  const call = new SimulatedCall(options.call);
  const bot = new BotAudio(call);
  await call.start();

  const timing = new Map<number, { startMs: number; endMs: number }>();
  // The greeting is the "reply" to the call's start.
  let lastInputEndMs = 0;
  let awaitReply = script.greeting;
  const waitQuiet = () => botDone(call, bot, { sinceMs: lastInputEndMs, awaitReply, replyTimeoutMs: script.replyTimeoutMs, quietMs: script.quietMs });
  let hungUp = false;
  for (const [i, step] of script.steps.entries()) {
    if (call.isClosed) break;
    if (step.kind === 'pause') {
      await sleep(step.pauseMs);
      continue;
    }
    if (step.kind === 'hangup') {
      await waitQuiet();
      hungUp = true;
      break;
    }
    if (step.bargeInAtMs !== undefined) {
      // Speak over the agent: this long after its reply to the previous input (or its greeting) begins.
      const since = lastInputEndMs;
      await until(call, () => bot.starts.some((s) => s >= since), script.replyTimeoutMs);
      const began = bot.starts.find((s) => s >= since);
      if (began !== undefined) await sleep(began + step.bargeInAtMs - call.elapsedMs());
    } else {
      await waitQuiet();
    }
    if (call.isClosed) break;
    const startMs = call.elapsedMs();
    if (step.kind === 'dtmf') {
      for (const [k, key] of [...step.dtmf].entries()) {
        if (k > 0) await sleep(step.gapMs);
        call.sendDtmf(key);
      }
    } else {
      await call.sendAudio(audio.get(i) as CallerAudioInput);
    }
    lastInputEndMs = call.elapsedMs();
    awaitReply = true;
    timing.set(i, { startMs, endMs: lastInputEndMs });
  }
  if (!call.isClosed && !hungUp) await waitQuiet();
  const report = await call.hangup();

  let record: ScriptCallRecord | undefined;
  let recordError: string | undefined;
  const wantsRecord = script.steps.some((s) => isInput(s) && s.expect && (s.expect.replyContains !== undefined || s.expect.intent !== undefined));
  if (options.fetchRecord) {
    try {
      record = await options.fetchRecord(call.callSid);
    } catch (err) {
      recordError = (err as Error).message;
    }
  } else if (wantsRecord) {
    recordError = 'no call record source (the gateway admin API)';
  }
  const turns = evaluate(script, timing, bot, report, record, recordError);
  return {
    script: script.name,
    file: script.file,
    callSid: call.callSid,
    passed: turns.every((t) => t.failures.length === 0) && report.violations.length === 0,
    turns,
    ...(recordError === undefined ? {} : { recordError }),
    call: report,
  };
}

export interface ReplyInfo {
  label?: string;
  text?: string;
  heardText?: string;
  interrupted?: boolean;
  recognised?: string;
}

/** Reply id -> what the record says of it. Agent transcript turns are added at each reply's first frame, in order. */
export function repliesOf(record: ScriptCallRecord): Map<string, ReplyInfo> {
  const out = new Map<string, ReplyInfo>();
  const info = (id: unknown) => {
    const key = String(id);
    let r = out.get(key);
    if (!r) out.set(key, (r = {}));
    return r;
  };
  const agentTurns = record.transcript.filter((t) => t.role === 'agent');
  let k = 0;
  for (const e of record.events) {
    if (typeof e.data?.replyId !== 'string') continue;
    const r = info(e.data.replyId);
    if ((e.type === 'turn.reply-text' || e.type === 'turn.first-token') && r.label === undefined && typeof e.data.label === 'string') r.label = e.data.label;
    if (e.type === 'turn.transcript' && typeof e.data.text === 'string') r.recognised = e.data.text;
    if (e.type === 'turn.first-frame') {
      const turn = agentTurns[k++];
      if (turn) Object.assign(r, { text: turn.text, interrupted: turn.interrupted ?? false, ...(turn.heardText === undefined ? {} : { heardText: turn.heardText }) });
    }
  }
  return out;
}

function evaluate(
  script: CallScript,
  timing: Map<number, { startMs: number; endMs: number }>,
  bot: BotAudio,
  report: SimReport,
  record: ScriptCallRecord | undefined,
  recordError: string | undefined,
): TurnResult[] {
  const replies = record ? repliesOf(record) : new Map<string, ReplyInfo>();
  const played = [...timing.keys()].sort((a, b) => a - b);
  return script.steps.map((step, i) => {
    const base: TurnResult = {
      turn: i + 1,
      line: step.line,
      kind: step.kind,
      label: stepLabel(step),
      played: false,
      latencyMs: null,
      replyAudioMs: 0,
      clear: false,
      endedCall: false,
      expectations: 0,
      failures: [],
    };
    if (!isInput(step)) return { ...base, played: true };
    const t = timing.get(i);
    const expect: TurnExpectation = step.expect ?? {};
    const expectations = Object.keys(expect).length;
    if (!t) return { ...base, expectations, failures: ['not played: the call had ended'] };
    const later = played.find((j) => j > i);
    const nextStart = later === undefined ? Infinity : (timing.get(later) as { startMs: number }).startMs;
    const frames = bot.frames.filter((f) => f.atMs >= t.endMs && f.atMs < nextStart);
    const first = frames[0];
    const latencyMs = first ? Math.round(first.atMs - t.endMs) : null;
    const replyAudioMs = Math.round(frames.reduce((n, f) => n + f.durationMs, 0));
    const mark = first ? report.marks.records.find((m) => m.receivedAtMs >= first.atMs && m.receivedAtMs < nextStart) : undefined;
    const replyId = mark?.name.replace(/\.\d+$/, '');
    const reply = replyId === undefined ? undefined : replies.get(replyId);
    const clearBy = first?.atMs ?? nextStart;
    const clear = report.clears.some((c) => c.atMs >= t.startMs && c.atMs < clearBy);
    const endedCall = report.endedBy === 'bot' && later === undefined;
    const result: TurnResult = {
      ...base,
      played: true,
      startMs: Math.round(t.startMs),
      endMs: Math.round(t.endMs),
      latencyMs,
      replyAudioMs,
      ...(replyId === undefined ? {} : { replyId }),
      ...(reply?.text === undefined ? {} : { replyText: reply.text }),
      ...(reply?.heardText === undefined ? {} : { heardText: reply.heardText }),
      ...(reply?.interrupted ? { interrupted: true } : {}),
      ...(reply?.label === undefined ? {} : { intent: reply.label }),
      ...(reply?.recognised === undefined ? {} : { recognised: reply.recognised }),
      clear,
      endedCall,
      expectations,
    };
    const fail = (why: string) => result.failures.push(why);
    const noReply = `no agent reply within ${script.replyTimeoutMs} ms of this input`;
    const unknown = (what: string) => (first === undefined ? noReply : recordError ? `${what} unknown: ${recordError}` : `${what} unknown: the call record has no reply ${replyId ?? '(no mark named it)'}`);
    if (expect.replyContains !== undefined) {
      const wanted = Array.isArray(expect.replyContains) ? expect.replyContains : [expect.replyContains];
      if (result.replyText === undefined) fail(unknown('reply text'));
      else for (const w of wanted) if (!result.replyText.toLowerCase().includes(w.toLowerCase())) fail(`reply does not contain "${w}"`);
    }
    if (expect.intent !== undefined) {
      if (result.intent === undefined) fail(unknown('intent'));
      else if (result.intent !== expect.intent) fail(`intent was "${result.intent}", expected "${expect.intent}"`);
    }
    if (expect.maxLatencyMs !== undefined) {
      if (latencyMs === null) fail(noReply);
      else if (latencyMs > expect.maxLatencyMs) fail(`latency ${latencyMs} ms, over the ${expect.maxLatencyMs} ms allowed`);
    }
    if (expect.minReplyAudioMs !== undefined && replyAudioMs < expect.minReplyAudioMs) fail(`${replyAudioMs} ms of reply audio, expected at least ${expect.minReplyAudioMs} ms`);
    if (expect.clear !== undefined && clear !== expect.clear) fail(expect.clear ? 'no clear from the gateway while this input played' : 'the gateway sent a clear during this input');
    if (expect.endsCall !== undefined && endedCall !== expect.endsCall) fail(expect.endsCall ? 'the bot did not end the call after this reply' : 'the bot ended the call here');
    return result;
  });
}

function clip(text: string, max = 100): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Human-readable report: one block per turn, then how the call ended and the verdict. */
export function formatScriptReport(r: ScriptReport): string {
  const lines = [`script ${r.script} (${r.file})  call_sid ${r.callSid}`];
  for (const t of r.turns) {
    const isIn = t.kind === 'say' || t.kind === 'wav' || t.kind === 'dtmf';
    const mark = !isIn ? '   ' : t.failures.length > 0 ? 'FAIL' : t.expectations > 0 ? 'ok  ' : '-   ';
    lines.push(`${mark} turn ${t.turn} (line ${t.line}) ${t.label}`);
    if (isIn && t.played) {
      const parts = [t.latencyMs === null ? 'no reply' : `reply after ${t.latencyMs} ms (${(t.replyAudioMs / 1000).toFixed(1)} s audio)`];
      if (t.intent !== undefined) parts.push(`intent ${t.intent}`);
      if (t.clear) parts.push('clear received');
      if (t.endedCall) parts.push(`bot ended the call${r.call.closeReason ? ` (${r.call.closeReason})` : ''}`);
      lines.push(`       ${parts.join(', ')}`);
      if (t.recognised !== undefined) lines.push(`       gateway heard: "${clip(t.recognised)}"`);
      if (t.replyText !== undefined) lines.push(`       agent: "${clip(t.replyText)}"${t.interrupted ? ` (cut; heard "${clip(t.heardText ?? '', 60)}")` : ''}`);
    }
    for (const f of t.failures) lines.push(`       ✗ ${f}`);
  }
  if (r.recordError) lines.push(`call record: ${r.recordError}`);
  const c = r.call;
  lines.push(`ended: ${c.endedBy === 'caller' ? 'caller hung up' : `bot closed the socket${c.closeReason ? ` (${c.closeReason})` : ''}`}, call ${(c.durationMs / 1000).toFixed(2)} s`);
  if (c.violations.length === 0) lines.push('Exotel rule violations: none');
  else for (const [rule, n] of Object.entries(c.violationCounts)) lines.push(`Exotel rule violation [${rule}] ×${n}: ${c.violations.find((v) => v.rule === rule)?.message}`);
  const checked = r.turns.filter((t) => t.expectations > 0 || t.failures.length > 0);
  const failed = checked.filter((t) => t.failures.length > 0).length;
  lines.push(`${r.passed ? 'PASS' : 'FAIL'}: ${checked.length - failed}/${checked.length} checked turns passed`);
  return lines.join('\n');
}

export function scriptReportToJson(r: ScriptReport): Record<string, unknown> {
  return { ...r, call: reportToJson(r.call) };
}
