// The contract every TextToSpeech provider keeps, whatever engine or service is behind it. A provider's test
// file calls runTtsConformance with a way to make the provider (and, for cloud ones, hooks into its fake).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import type { SynthesisOptions, TextToSpeech } from '../../src/providers/types.js';
import type { FakeSpeechServer } from '../fakes/speech-server.js';

export interface TtsFailureCase {
  name: string;
  /** Sets the next synthesis up to fail this way, and returns the provider to ask. */
  arrange(): TextToSpeech;
  /** Whether asking again can help (a busy or broken service), or never (a wrong key, a refused voice). */
  retryable: boolean;
}

/** A stream the fake holds after some audio, so a cancellation lands mid-stream. */
export interface HeldStream {
  /** Resolves once the provider closed the request (the service stopped sending). */
  cancelled(): Promise<void>;
}

export interface TtsConformanceSubject {
  tts: TextToSpeech;
  /** Call rates the provider must serve. */
  sampleRates: readonly number[];
  /** Added to every request (e.g. a language). */
  options?: Omit<SynthesisOptions, 'sampleRate' | 'signal'>;
  /** One sentence, and several sentences, in a language the provider speaks. */
  text: string;
  longText: string;
  /** The longest text accepted: one character more is refused before anything is sent. */
  maxChars: number;
  /** Generous bound on the time to the first chunk of audio. */
  firstAudioWithinMs: number;
  /** Requests sent to the service so far (cloud providers), so the suite can tell nothing was sent. */
  requestsSent?: () => number;
  /** Holds the next stream after some of its audio (cloud fakes); without it the long text has to last. */
  holdNextStream?: () => HeldStream;
  /** Service failures to play, beyond the refusals every provider makes itself. */
  failures?: readonly TtsFailureCase[];
}

/** `holdNextStream` for a cloud fake: its next stream stalls after `afterBytes`; cancelling must close the request. */
export function stallNextStream(fake: FakeSpeechServer, afterBytes: number): HeldStream {
  const index = fake.requests.length;
  fake.failNext({ kind: 'stall', afterBytes });
  return {
    cancelled: async () => {
      const req = fake.requests[index]!;
      await req.done;
      assert.equal(req.clientClosed, true, 'the provider closed the request');
      assert.ok(req.bytesSent < req.bytesTotal);
    },
  };
}

const seconds = (samples: Int16Array, rate: number) => samples.length / rate;

function peak(samples: Int16Array): number {
  let max = 0;
  for (const s of samples) max = Math.max(max, Math.abs(s));
  return max;
}

/** Chunks of a stream as one buffer. */
export function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Every chunk of a stream. */
export async function collect(stream: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

/** A ProviderError whose retryable flag is `retryable` (the code and message are the provider's own business). */
function providerError(retryable: boolean) {
  return (err: unknown) => {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    assert.equal(isRetryable(err), retryable, `retryable should be ${retryable}: ${err.code}: ${err.message}`);
    return true;
  };
}

export function runTtsConformance(name: string, subject: TtsConformanceSubject): void {
  const { tts, text, longText } = subject;
  const opts = (sampleRate: number, extra: Partial<SynthesisOptions> = {}): SynthesisOptions => ({ ...subject.options, sampleRate, ...extra });
  const rate = subject.sampleRates[0]!;
  const sent = () => subject.requestsSent?.() ?? 0;

  describe(`TextToSpeech conformance: ${name}`, () => {
    test('speaks audible PCM16 at each declared rate, the same speech at every rate, streamed or whole', async () => {
      const durations: number[] = [];
      for (const sampleRate of subject.sampleRates) {
        const out = await tts.synthesize(text, opts(sampleRate));
        assert.equal(out.sampleRate, sampleRate);
        assert.ok(out.samples instanceof Int16Array);
        assert.ok(peak(out.samples) > 1000, `audible at ${sampleRate}`);
        durations.push(seconds(out.samples, sampleRate));
        const chunks = await collect(tts.stream(text, opts(sampleRate)));
        assert.ok(chunks.length > 0 && chunks.every((c) => c instanceof Int16Array && c.length > 0), 'no empty chunks');
        const streamed = seconds(concat(chunks), sampleRate);
        assert.ok(Math.abs(streamed - durations.at(-1)!) <= 0.25 * durations.at(-1)!, `streamed ${streamed}s vs whole ${durations.at(-1)}s at ${sampleRate}`);
      }
      // Audio labelled with a rate it is not at would last a different time.
      for (const d of durations) assert.ok(Math.abs(d - durations[0]!) <= 0.05 * durations[0]! + 0.01, `durations by rate: ${durations.join(', ')}`);
      const words = text.trim().split(/\s+/).length;
      assert.ok(durations[0]! > 0.05 * words && durations[0]! < 1.5 * words, `${durations[0]}s for ${words} words`);
    });

    test('the first audio arrives in bounded time', async () => {
      const t0 = performance.now();
      for await (const chunk of tts.stream(longText, opts(rate))) {
        assert.ok(chunk.length > 0);
        break;
      }
      const ms = performance.now() - t0;
      assert.ok(ms < subject.firstAudioWithinMs, `first audio after ${Math.round(ms)} ms`);
    });

    test('an already-aborted signal rejects with its reason and sends nothing', async () => {
      const before = sent();
      const reason = new Error('caller hung up');
      await assert.rejects(tts.synthesize(text, opts(rate, { signal: AbortSignal.abort(reason) })), (e) => e === reason);
      await assert.rejects(collect(tts.stream(text, opts(rate, { signal: AbortSignal.abort(reason) }))), (e) => e === reason);
      await assert.rejects(tts.synthesize(text, opts(rate, { signal: AbortSignal.abort() })), { name: 'AbortError' });
      assert.equal(sent(), before);
    });

    test('aborting mid-stream rejects with the reason and no audio follows', async () => {
      const held = subject.holdNextStream?.();
      const controller = new AbortController();
      const iterator = tts.stream(longText, opts(rate, { signal: controller.signal }))[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false);
      const reason = new Error('barge-in');
      controller.abort(reason);
      await assert.rejects(iterator.next(), (e) => e === reason);
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
      await held?.cancelled();
    });

    test('breaking out of the stream cancels the rest, and the provider speaks on', async () => {
      const held = subject.holdNextStream?.();
      let chunks = 0;
      for await (const chunk of tts.stream(longText, opts(rate))) {
        assert.ok(chunk.length > 0);
        chunks++;
        break;
      }
      assert.equal(chunks, 1);
      await held?.cancelled();
      const after = await tts.synthesize(text, opts(rate));
      assert.ok(after.samples.length > 0);
    });

    test('refusals and failures are ProviderErrors flagged retryable or not', async () => {
      await assert.rejects(tts.synthesize(text, opts(rate, { voice: 'no-such-voice-xq' })), providerError(false));
      await assert.rejects(tts.synthesize(text, opts(7)), providerError(false));
      await assert.rejects(tts.synthesize(text, opts(8000.5)), providerError(false));
      for (const failure of subject.failures ?? []) {
        await assert.rejects(failure.arrange().synthesize(text, opts(rate)), providerError(failure.retryable), failure.name);
      }
    });

    test('empty text is refused before anything is sent', async () => {
      const before = sent();
      for (const empty of ['', '   ', '\n\t ']) {
        await assert.rejects(tts.synthesize(empty, opts(rate)), providerError(false));
        await assert.rejects(collect(tts.stream(empty, opts(rate))), providerError(false));
      }
      assert.equal(sent(), before);
    });

    test('long text is spoken whole; text over the limit is refused before anything is sent', async () => {
      const short = await tts.synthesize(text, opts(rate));
      const long = await tts.synthesize(longText, opts(rate));
      assert.ok(long.samples.length > 2 * short.samples.length, `${seconds(long.samples, rate)}s for the long text`);
      const streamed = concat(await collect(tts.stream(longText, opts(rate))));
      assert.ok(Math.abs(streamed.length - long.samples.length) <= 0.25 * long.samples.length);
      const before = sent();
      await assert.rejects(tts.synthesize('a'.repeat(subject.maxChars + 1), opts(rate)), providerError(false));
      assert.equal(sent(), before);
    });

    test('concurrent syntheses each get their own audio', async () => {
      const texts = [text, `${text} ${text}`, `${text} ${text} ${text}`];
      const alone: Int16Array[] = [];
      for (const t of texts) alone.push((await tts.synthesize(t, opts(rate))).samples);
      const together = await Promise.all(texts.map((t) => tts.synthesize(t, opts(rate))));
      together.forEach((out, i) => assert.deepEqual(out.samples, alone[i], `text ${i}`));
      assert.ok(alone[0]!.length < alone[1]!.length && alone[1]!.length < alone[2]!.length, 'three different syntheses');
    });
  });
}
