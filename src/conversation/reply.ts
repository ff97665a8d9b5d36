// The reply record: one agent reply from the moment it is queued, and what the caller heard of it.
// The transcript, the brain's context and the call's timeline (latency stages) are kept from it.
import type { Scheduler } from '../clock/scheduler.js';
import type { BrainInput, ConversationEntry, ReplyAction } from './brain.js';
import type { CallControl, EndReason } from './call-contract.js';
import type { Playback } from './playback.js';
import type { StreamPlayback } from './stream-playback.js';
import type { VoiceSpec } from './voice-bank.js';

export type EndAs = { reason: Extract<EndReason, 'bot-hangup' | 'transfer' | 'max-duration'>; detail: string };

export interface Reply {
  id: string;
  greeting: boolean;
  /** Host time latency is measured from: end of the caller's speech (or of the call's start). */
  originMs: number;
  abort: AbortController;
  /** Hang up once it has been heard (turn-taking is already stopped). */
  endAs: EndAs | null;
  text: string;
  playback: Playback | StreamPlayback | null;
  voice: VoiceSpec | null;
  /** What the caller said that this reply answers (for the offline brain, if a provider fails). */
  input: BrainInput | null;
  /** It answers caller speech: its latency stages go to the metrics. */
  answersSpeech: boolean;
  latency: Record<string, number>;
  latencyRecorded: boolean;
  /** Its agent turn in the transcript, once it started playing. */
  turnSeq: number | null;
  history: ConversationEntry | null;
  /** Leading sentences heard when it was last cut. */
  heard: number;
  resumed: boolean;
  firstMark: boolean;
}

export function newReply(id: string, originMs: number, greeting: boolean): Reply {
  return {
    id,
    greeting,
    originMs,
    abort: new AbortController(),
    endAs: null,
    text: '',
    playback: null,
    voice: null,
    input: null,
    answersSpeech: false,
    latency: {},
    latencyRecorded: false,
    turnSeq: null,
    history: null,
    heard: 0,
    resumed: false,
    firstMark: true,
  };
}

export function endAsFor(action: ReplyAction): EndAs {
  return action.type === 'transfer' ? { reason: 'transfer', detail: action.reason } : { reason: 'bot-hangup', detail: action.reason };
}

/** Latency stages of a reply (ms since its origin), as the timeline's `turn.latency` lists them. */
const LATENCY_STAGES: Record<string, string> = {
  'turn.transcript': 'final-transcript',
  'turn.first-token': 'first-llm-token',
  'turn.first-audio': 'first-tts-byte',
  'turn.first-frame': 'first-frame',
  'turn.first-mark': 'first-mark',
};

/** Writes what happened to replies to the call: timeline stages, and the heard part of cut ones. */
export class ReplyRecord {
  readonly #call: CallControl;
  readonly #clock: Scheduler;

  constructor(call: CallControl, clock: Scheduler) {
    this.#call = call;
    this.#clock = clock;
  }

  /** A timeline event `type` of `reply`, with its time since the reply's origin (a latency stage once). */
  latency(reply: Reply, type: string, data: Record<string, unknown>): void {
    const ms = this.#clock.now() - reply.originMs;
    this.#call.record(type, { replyId: reply.id, ms: Math.round(ms), ...data });
    const stage = LATENCY_STAGES[type];
    if (stage && !(stage in reply.latency)) {
      reply.latency[stage] = Math.round(ms * 10) / 10;
      if (reply.answersSpeech) this.#call.observeLatency(stage, ms);
    }
  }

  /** The turn's latency stages in one timeline event, once (at its first mark, or when it ends without one). */
  recordLatency(reply: Reply): void {
    if (reply.latencyRecorded || !reply.answersSpeech) return;
    reply.latencyRecorded = true;
    this.#call.record('turn.latency', { replyId: reply.id, ...reply.latency });
  }

  /**
   * All of the reply has played by the playout position, its last mark echo just not handled yet
   * (it can arrive in the same network read as the input that cuts the reply).
   */
  playedOut(r: Reply): boolean {
    const last = r.playback?.ledger.sentences.at(-1);
    return last?.endMs != null && last.endMs <= this.#call.playedMs();
  }

  /** Ends a reply that played out without waiting for its last mark: nothing to clear, nothing cut. */
  finishQuietly(r: Reply): void {
    r.playback!.cut(this.#call.playedMs());
    if (r.turnSeq !== null) this.#call.updateTurn(r.turnSeq, { endedAt: Date.now() });
  }

  /** Transcript and conversation context keep only what the caller heard of a cut reply. */
  recordCut(r: Reply, heard: number): void {
    r.heard = heard;
    const heardText = r.playback!.ledger.text(heard);
    if (r.history) {
      r.history.text = heardText;
      r.history.interrupted = true;
    }
    this.recordLatency(r);
    if (r.turnSeq !== null) this.#call.updateTurn(r.turnSeq, { interrupted: true, heardText, endedAt: Date.now() });
  }
}
