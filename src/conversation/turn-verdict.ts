// What happens to a caller turn once their voice has stopped, and when: the endpointing and
// false-interruption rules as one pure function, so deciding and scheduling cannot disagree.
import type { EndOfTurnReason, ResumeReason, TurnTakingConfig } from './turn-types.js';

export interface SilentTurn {
  /** When the caller's voice stopped. */
  lastVoiceMs: number;
  /** Voiced time of the turn's own speech. */
  voicedMs: number;
  /** The turn began by interrupting the bot. */
  interrupted: boolean;
  /** A non-empty transcript (interim or final) arrived during the turn. */
  heardWords: boolean;
  /** A non-empty final transcript arrived after the voice stopped. */
  finalAfterVoice: boolean;
  /** That final's words are an incomplete phrase (the brain's judgement); false or unset: complete or unknown. */
  finalIncomplete?: boolean;
  /** A recognition of the audio so far is still running: its words, not the plain silence, decide when to end. */
  recognizing?: boolean;
}

export type TurnVerdict =
  | { kind: 'endOfTurn'; atMs: number; reason: Exclude<EndOfTurnReason, 'maxTurn'> }
  | { kind: 'resume'; atMs: number; reason: ResumeReason };

type VerdictConfig = Pick<
  TurnTakingConfig,
  | 'endpointSilenceMs'
  | 'endpointSilenceAfterFinalMs'
  | 'endpointSilenceIncompleteMs'
  | 'falseInterruptionMaxSpeechMs'
  | 'falseInterruptionTranscriptWaitMs'
>;

export function turnVerdict(cfg: VerdictConfig, t: SilentTurn): TurnVerdict {
  const endpoint = endpointVerdict(cfg, t);
  if (!t.interrupted || t.heardWords) return endpoint;
  // False interruption: noise cut the bot off. Too little voice to be words: resume at once.
  // (Not held for a recognition still running: a cough's words would not change this.)
  if (t.voicedMs < cfg.falseInterruptionMaxSpeechMs) return { kind: 'resume', atMs: endpointVerdict(cfg, t, false).atMs, reason: 'shortSpeech' };
  const wait = cfg.falseInterruptionTranscriptWaitMs;
  if (wait === null) return endpoint;
  // Enough voice for words: give speech-to-text time to recognise some before calling it noise.
  return { kind: 'resume', atMs: Math.max(endpoint.atMs, t.lastVoiceMs + wait), reason: 'noTranscript' };
}

/**
 * Endpointing: trailing silence ends the turn. Once a final transcript covers the speech, its words say how long to
 * wait: a complete phrase needs only a short pause, a phrase cut off midway (half an order number) a longer one.
 */
function endpointVerdict(cfg: VerdictConfig, t: SilentTurn, hold = true): TurnVerdict & { kind: 'endOfTurn' } {
  const long = cfg.endpointSilenceIncompleteMs;
  if (t.finalAfterVoice && t.finalIncomplete === true && long !== null && long > cfg.endpointSilenceMs) {
    return { kind: 'endOfTurn', atMs: t.lastVoiceMs + long, reason: 'incompleteTranscript' };
  }
  // The words are not known yet: hold the turn open (up to the long wait) rather than end it on silence alone.
  if (hold && t.recognizing === true && !t.finalAfterVoice && long !== null && long > cfg.endpointSilenceMs) {
    return { kind: 'endOfTurn', atMs: t.lastVoiceMs + long, reason: 'silence' };
  }
  const short = cfg.endpointSilenceAfterFinalMs;
  if (t.finalAfterVoice && t.finalIncomplete !== true && short !== null && short < cfg.endpointSilenceMs) {
    return { kind: 'endOfTurn', atMs: t.lastVoiceMs + short, reason: 'finalTranscript' };
  }
  return { kind: 'endOfTurn', atMs: t.lastVoiceMs + cfg.endpointSilenceMs, reason: 'silence' };
}
