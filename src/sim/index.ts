import { writeFile } from 'node:fs/promises';
import { writeWav } from '../audio/wav.js';
import type { CallerAudioInput } from './caller-audio.js';
import type { SimReport } from './report.js';
import type { SimCallOptions } from './call-setup.js';
import { SimulatedCall } from './simulated-call.js';

export { SimulatedCall } from './simulated-call.js';
export type { SimCallOptions } from './call-setup.js';
export type { SimEvents, SimEventName, BotFrameEvent, WaitForOptions } from './call-log.js';
export type { SimReport, Violation, ViolationRule, MarkRecord, ClearRecord, TimelineEntry, EndedBy } from './report.js';
export { formatReport, reportToJson } from './report.js';
export type { CallerAudioInput } from './caller-audio.js';
export type { StartShape } from './exotel-messages.js';
export { START_SHAPES } from './exotel-messages.js';
export type { PacingSummary, Burst, Underrun, BotFrameTiming } from './pacing.js';
export type { SimClock } from './frame-clock.js';

export interface SimulateOptions extends SimCallOptions {
  /** How long the caller stays on the line before hanging up, unless the bot closes first. */
  durationMs: number;
  /** Caller speech, sent from the start of the call at real-time pace. */
  audio?: CallerAudioInput;
  /** Keypresses at given times after `start`. */
  dtmf?: Array<{ digit: string; atMs: number; durationMs?: number }>;
  /** Write what the caller heard to this WAV file. */
  outWav?: string;
}

/** One-shot call: dial, talk, hang up after `durationMs` (or when the bot closes), report. */
export async function simulateCall(options: SimulateOptions): Promise<SimReport> {
  const call = new SimulatedCall(options);
  await call.start();
  for (const d of options.dtmf ?? []) call.scheduleDtmf(d.digit, d.atMs, d.durationMs);
  if (options.audio !== undefined) void call.sendAudio(options.audio);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, options.durationMs - call.elapsedMs()));
    }),
    call.ended(),
  ]);
  clearTimeout(timer);
  const report = await call.hangup();
  if (options.outWav) await writeFile(options.outWav, writeWav(report.playedAudio, report.sampleRate));
  return report;
}

export { loadCallScript, parseCallScript, ScriptError, CALLER_VOICES, SCRIPT_LIMITS } from './script.js';
export type { CallScript, ScriptStep, TurnExpectation, CallerVoice } from './script.js';
export { runCallScript, formatScriptReport, scriptReportToJson } from './script-runner.js';
export type { ScriptRunOptions, ScriptReport, ScriptCallRecord, TurnResult } from './script-runner.js';
