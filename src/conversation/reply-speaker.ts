// The reply speaker: says a reply sentence by sentence (whole text, or text as a model streams it),
// keeps its transcript turn and the brain's context in step with what plays, and reports what
// happened to it (heard to the end, or failed) back to the conversation.
import { isRetryable } from '../providers/errors.js';
import { SentenceChunker } from '../providers/text/sentences.js';
import type { BrainReply, StreamedReply } from './brain.js';
import type { ConversationContext } from './conversation-context.js';
import { Playback, type PlaybackHooks } from './playback.js';
import { ProviderFailure, failureReport, recordProviderFailure } from './provider-failure.js';
import type { Reply } from './reply.js';
import { StreamPlayback } from './stream-playback.js';
import { VoiceBank, replyVoice, type VoiceSpec } from './voice-bank.js';

export interface ReplySpeakerOptions {
  voices: VoiceBank;
  sampleRate: number;
  /** Outgoing frame size, for the heard ledger's estimate. */
  frameSamples: number;
  frameMs: number;
}

export class ReplySpeaker {
  readonly #ctx: ConversationContext;
  readonly #voices: VoiceBank;
  readonly #rate: number;
  readonly #frameSamples: number;
  readonly #frameMs: number;
  #marksEchoed = false;
  #markTimeouts = 0;
  /** Marks prove what was heard only on a call that echoes them and has not let one time out. */
  readonly #trustMarks = () => this.#marksEchoed && this.#markTimeouts === 0;

  constructor(ctx: ConversationContext, options: ReplySpeakerOptions) {
    this.#ctx = ctx;
    this.#voices = options.voices;
    this.#rate = options.sampleRate;
    this.#frameSamples = options.frameSamples;
    this.#frameMs = options.frameMs;
  }

  speak(reply: Reply, br: BrainReply): void {
    const ctx = this.#ctx;
    if (ctx.ended) return;
    ctx.current = reply;
    reply.text = br.text;
    // In the agent's language, so numbers are said as its callers say them (see VoiceBank).
    const voice: VoiceSpec = replyVoice(br.voice, ctx.voice);
    const sentences = VoiceBank.sentences(br.text);
    ctx.record.latency(reply, 'turn.reply-text', { label: br.label, sentences: sentences.length, action: br.action?.type });
    if (ctx.settings.streaming) {
      const playback = this.#streamPlayback(reply, voice);
      for (const s of sentences) playback.push(s);
      playback.end();
      return;
    }
    const rate = this.#rate;
    const playback = new Playback({
      port: ctx.call,
      name: reply.id,
      sentences,
      audio: (s, signal) => this.#voices.audio(s, voice, rate, signal),
      frameSamples: this.#frameSamples,
      frameMs: this.#frameMs,
      trustMarks: this.#trustMarks,
      hooks: this.#playbackHooks(reply),
    });
    reply.playback = playback;
    playback.start();
  }

  /**
   * Speaks a reply as it is generated: text through the sentence chunker, each sentence to the
   * stream playback; a line (filler, goodbye) on its own; an action once all of it is heard.
   */
  async speakStream(reply: Reply, streamed: StreamedReply): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.ended) return;
    const playback = this.#streamPlayback(reply, ctx.voice);
    const chunker = new SentenceChunker({ markdown: true });
    const say = (sentences: readonly string[]) => {
      for (const s of sentences) {
        playback.push(s);
        reply.text = playback.ledger.text();
        if (reply.history && !reply.history.interrupted) reply.history.text = reply.text;
      }
    };
    let first = true;
    try {
      for await (const part of streamed.parts) {
        if (reply.abort.signal.aborted || ctx.ended) return;
        if (first) {
          first = false;
          ctx.record.latency(reply, 'turn.first-token', { label: streamed.label });
        }
        if (part.type === 'text') say(chunker.push(part.text));
        else if (part.type === 'line') {
          say(chunker.flush());
          say(VoiceBank.sentences(part.text));
        } else {
          say(chunker.flush());
          ctx.closing(reply, part.action);
          break;
        }
      }
    } catch (err) {
      if (reply.abort.signal.aborted || ctx.ended) return;
      const report = err instanceof ProviderFailure ? err.report : failureReport('brain', 'llm', err, false);
      if (!(err instanceof ProviderFailure)) recordProviderFailure(ctx.call, report);
      ctx.providerFailed(reply, report);
      return;
    }
    if (reply.abort.signal.aborted || ctx.ended) return;
    say(chunker.flush());
    ctx.record.latency(reply, 'turn.reply-text', { label: streamed.label, sentences: playback.length, action: reply.endAs?.reason });
    if (playback.length === 0 && !reply.endAs) {
      // Nothing to say (the model returned no text): the turn goes back to the caller.
      if (ctx.current === reply) ctx.current = null;
      ctx.feed({ type: 'replyCancelled', nowMs: ctx.clock.now(), replyId: reply.id });
      return;
    }
    playback.end();
  }

  /** A reply whose audio streams sentence by sentence; started, waiting for its sentences. */
  #streamPlayback(reply: Reply, voice: VoiceSpec): StreamPlayback {
    const ctx = this.#ctx;
    const rate = this.#rate;
    reply.voice = voice;
    const hooks = this.#playbackHooks(reply);
    const playback = new StreamPlayback({
      port: ctx.call,
      name: reply.id,
      audio: (s, signal) => this.#voices.stream(s, voice, rate, signal),
      frameSamples: this.#frameSamples,
      frameMs: this.#frameMs,
      trustMarks: this.#trustMarks,
      firstChunkTimeoutMs: ctx.settings.streaming?.firstByteTimeoutMs ?? 10_000,
      retryable: isRetryable,
      hooks: {
        ...hooks,
        onSynthFailure: (err, retrying) => {
          if (ctx.ended) return;
          recordProviderFailure(ctx.call, failureReport(voice.provider, 'tts', err, retrying));
        },
      },
    });
    reply.playback = playback;
    ctx.current = reply;
    playback.start();
    return playback;
  }

  #playbackHooks(reply: Reply): PlaybackHooks {
    const ctx = this.#ctx;
    let firstPlay = true;
    return {
      onFirstAudio: (cached) => ctx.record.latency(reply, 'turn.first-audio', { cached }),
      onPlayStarted: () => {
        if (firstPlay) {
          firstPlay = false;
          ctx.record.latency(reply, 'turn.first-frame', {});
          reply.turnSeq = ctx.call.addTurn({ role: 'agent', text: reply.text, startedAt: Date.now() });
          reply.history = { role: 'agent', text: reply.text };
          ctx.history.push(reply.history);
        } else if (reply.history) {
          reply.history.text = reply.text;
          reply.history.interrupted = false;
        }
        if (!reply.endAs) ctx.feed({ type: 'botSpeechStarted', nowMs: ctx.clock.now(), replyId: reply.id, greeting: reply.greeting });
      },
      onMarkEcho: () => {
        this.#marksEchoed = true;
        if (reply.firstMark) {
          reply.firstMark = false;
          ctx.record.latency(reply, 'turn.first-mark', {});
          ctx.record.recordLatency(reply);
        }
      },
      onMarkTimeout: () => this.#markTimeouts++,
      onFinished: () => this.#onFinished(reply),
      onError: (err) => this.#onReplyFailed(reply, err),
    };
  }

  #onFinished(reply: Reply): void {
    const ctx = this.#ctx;
    ctx.record.recordLatency(reply);
    if (reply.turnSeq !== null) {
      const patch = reply.resumed ? { interrupted: false, heardText: reply.text, endedAt: Date.now() } : { endedAt: Date.now() };
      // A streamed reply's text grew after its turn was added.
      ctx.call.updateTurn(reply.turnSeq, { text: reply.text, ...patch });
    }
    if (reply.history) {
      reply.history.text = reply.text;
      reply.history.interrupted = false;
    }
    if (ctx.current === reply) ctx.current = null;
    if (reply.endAs) {
      ctx.call.record(reply.endAs.reason === 'transfer' ? 'transfer' : 'agent-hangup', { detail: reply.endAs.detail });
      ctx.call.hangup(reply.endAs.reason, reply.endAs.detail);
      return;
    }
    ctx.feed({ type: 'botSpeechFinished', nowMs: ctx.clock.now(), replyId: reply.id });
  }

  #onReplyFailed(reply: Reply, err: unknown): void {
    const ctx = this.#ctx;
    if (ctx.ended) return;
    // A cloud voice that gave up (its failures are recorded): fail over instead of apologising in it.
    if (reply.voice && this.#voices.owns(reply.voice) && !ctx.failedOver) {
      return ctx.providerFailed(reply, failureReport(reply.voice.provider, 'tts', err, false));
    }
    ctx.call.log.warn({ err, replyId: reply.id }, 'reply synthesis failed');
    ctx.call.record('reply-failed', { replyId: reply.id, message: err instanceof Error ? err.message : String(err) });
    if (ctx.current === reply) ctx.current = null;
    if (reply.endAs) {
      ctx.call.hangup(reply.endAs.reason, reply.endAs.detail);
      return;
    }
    ctx.feed({ type: 'replyCancelled', nowMs: ctx.clock.now(), replyId: reply.id });
    // Say sorry (a cached prompt) unless that is what just failed.
    if (reply.text !== ctx.settings.apology && reply.turnSeq === null) {
      const apology = ctx.newReply(ctx.clock.now(), false);
      ctx.feed({ type: 'replyQueued', nowMs: ctx.clock.now(), replyId: apology.id });
      this.speak(apology, { text: ctx.settings.apology, label: 'apology' });
    }
  }
}
