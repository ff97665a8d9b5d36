// Types of the turn-taking engine: what the host feeds it, what it answers, how it is tuned.
// All times are milliseconds on one host clock (any monotonic origin, e.g. stream time).

/** Readable engine state. `idle` = the call has not started yet. */
export type TurnState = 'idle' | 'listening' | 'userSpeaking' | 'thinking' | 'botSpeaking' | 'ended';

export interface TurnTakingConfig {
  /** Trailing silence after the caller's speech that ends their turn. */
  endpointSilenceMs: number;
  /** Shorter trailing silence once a final transcript arrived after the speech stopped; null = off. */
  endpointSilenceAfterFinalMs: number | null;
  /**
   * Longer trailing silence once the final transcript is an incomplete phrase (the brain judged it, e.g. "my order
   * number is four seven" for a five-digit slot): the caller is likely still finding the rest; null = off.
   */
  endpointSilenceIncompleteMs: number | null;
  /** Voiced time needed before speech opens a turn (clicks and coughs stay below it). */
  minSpeechMs: number;
  /** Unvoiced gaps up to this long do not split a speech run (VAD flicker inside words). */
  speechGapMs: number;
  /** A turn is force-ended this long after it opened; null = no limit. */
  maxTurnMs: number | null;
  /** Voiced time needed to interrupt the bot while it speaks. */
  bargeInMinSpeechMs: number;
  /** While the bot speaks, VAD frames quieter than this do not count as voice (echo is quieter than a talker); null = off. */
  bargeInMinLevelDbfs: number | null;
  /** Voiced time while the bot is thinking that means the caller is still talking: cancel the reply, merge turns. */
  thinkingInterruptMinSpeechMs: number;
  /** No barge-in during the first this-many ms of the greeting's playout. */
  greetingProtectMs: number;
  /** Protect the whole greeting instead of its first greetingProtectMs. */
  protectWholeGreeting: boolean;
  /** An interruption with less voiced time than this and no transcript is noise: resume the reply. */
  falseInterruptionMaxSpeechMs: number;
  /** An interruption with no transcript this long after its speech stopped is noise; null = do not wait for transcripts. */
  falseInterruptionTranscriptWaitMs: number | null;
  /** Silence (nobody speaking, bot not speaking or thinking) before an idle prompt. */
  idleMs: number;
  /** Idle prompts before the call is hung up as idle. */
  maxIdlePrompts: number;
  /** Wrap-up flag carried by hangup('idle'). */
  idleWrapUp: boolean;
  /** Call length (from callStarted) at which the engine hangs up; null = no limit. */
  maxCallMs: number | null;
  /** Wrap-up flag carried by hangup('max-duration'). */
  maxDurationWrapUp: boolean;
  /** A DTMF digit while the bot speaks interrupts it. */
  dtmfBargeIn: boolean;
  /** Ignore caller audio entirely while the bot speaks (echo-prone lines). DTMF barge-in still works. */
  halfDuplex: boolean;
}

/** Inputs. Every one carries the host clock; the engine never reads a clock itself. */
export type TurnInput =
  | { type: 'callStarted'; nowMs: number }
  /** The call ended from outside (caller hung up, socket closed): the engine stops. */
  | { type: 'callEnded'; nowMs: number }
  /**
   * One VAD frame. `startMs` is when the frame's audio began (defaults to nowMs); give it for
   * exact onsets/ends. The engine keeps no reference, so the host may reuse one object.
   */
  | { type: 'vad'; nowMs: number; voiced: boolean; levelDbfs?: number; startMs?: number }
  /** Segment-level alternative to `vad` frames: voice began at onsetMs (defaults to nowMs) and continues. */
  | { type: 'speechStart'; nowMs: number; onsetMs?: number }
  /** Voice stopped at endMs (defaults to nowMs). */
  | { type: 'speechEnd'; nowMs: number; endMs?: number }
  /** Speech-to-text result for the caller's audio; empty text counts as no transcript. */
  /** `complete`: the brain's judgement of a final's words (false: a phrase cut off midway); unset when it has none. */
  | { type: 'transcript'; nowMs: number; text: string; final: boolean; complete?: boolean }
  /**
   * Recognition of the caller's audio up to a pause started (`pending`) or ended without a transcript to give. While
   * one runs, silence does not end the turn before `endpointSilenceIncompleteMs`: its words decide the wait.
   */
  | { type: 'recognizing'; nowMs: number; pending: boolean }
  /** The bot started generating a reply (thinking). `greeting` marks the call's greeting. */
  | { type: 'replyQueued'; nowMs: number; replyId: string; greeting?: boolean }
  /** The reply's audio started playing at atMs (defaults to nowMs). */
  | { type: 'botSpeechStarted'; nowMs: number; replyId: string; atMs?: number; greeting?: boolean }
  /** The reply's last mark was echoed: playout finished. */
  | { type: 'botSpeechFinished'; nowMs: number; replyId: string }
  /** The host dropped the reply itself (error, superseded). */
  | { type: 'replyCancelled'; nowMs: number; replyId: string }
  | { type: 'dtmf'; nowMs: number; digit: string };

export type EndOfTurnReason = 'silence' | 'finalTranscript' | 'incompleteTranscript' | 'maxTurn';
export type ResumeReason = 'shortSpeech' | 'noTranscript';
export type HangupReason = 'idle' | 'max-duration';

/** Actions the host must carry out (see docs/turn-taking.md). */
export type TurnAction =
  | {
      type: 'endOfTurn';
      /** Start of the caller's speech; for a continuation, the start of the turn it continues. */
      turnStartMs: number;
      /** When the caller's voice stopped (for maxTurn: when the turn was cut). */
      turnEndMs: number;
      atMs: number;
      reason: EndOfTurnReason;
      /** The caller went on talking after their previous turn ended: answer both together. */
      continuation: boolean;
      /** This turn interrupted that reply (barge-in): it stays cut where it was. */
      interruptedReplyId: string | null;
    }
  | {
      type: 'bargeIn';
      replyId: string;
      atMs: number;
      cause: 'speech' | 'dtmf';
      /** Where the interrupting speech began (cause 'speech'); atMs for DTMF. */
      speechOnsetMs: number;
      /** How long the reply had been playing, by the host clock. */
      playedMs: number;
    }
  | { type: 'cancelReply'; replyId: string; atMs: number; reason: 'callerContinued' }
  | {
      type: 'resumeReply';
      replyId: string;
      atMs: number;
      /** When the barge-in cut the reply. */
      interruptedAtMs: number;
      /** How long the reply had played before the cut. */
      playedMs: number;
      reason: ResumeReason;
    }
  | { type: 'idlePrompt'; count: number; atMs: number }
  | { type: 'hangup'; reason: HangupReason; wrapUp: boolean; atMs: number }
  | { type: 'dtmf'; digit: string; atMs: number };
