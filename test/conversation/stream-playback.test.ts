// StreamPlayback: sentences arriving while the reply is generated, audio streamed per sentence, marks, retries,
// cut and resume. The port records what the call would have been given; synthesis is driven step by step.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkResult } from '../../src/conversation/call-contract.js';
import { StreamPlayback } from '../../src/conversation/stream-playback.js';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';

const FRAME = 160; // 20 ms at 8 kHz

/** A call port that records plays and marks; marks resolve when the test says. */
class Port {
  readonly log: string[] = [];
  readonly marks = new Map<string, (r: MarkResult) => void>();
  played = 0;
  play(pcm: Int16Array): void {
    this.log.push(`play ${pcm[0]}x${pcm.length}`);
  }
  mark(name: string): Promise<MarkResult> {
    this.log.push(`mark ${name}`);
    return new Promise((resolve) => this.marks.set(name, resolve));
  }
  playedMs(): number {
    return this.played;
  }
  echo(name: string): void {
    this.marks.get(name)!({ outcome: 'played' } as MarkResult);
  }
}

/** One synthesis the test feeds: chunks are pushed, then it ends or fails. */
class Synth {
  readonly chunks: Int16Array[] = [];
  #wake: (() => void) | null = null;
  #end = false;
  #error: unknown;
  aborted = false;
  constructor(readonly text: string, signal: AbortSignal) {
    signal.addEventListener('abort', () => {
      this.aborted = true;
      this.#error = signal.reason;
      this.#wake?.();
    });
  }
  push(value: number, samples = FRAME): void {
    this.chunks.push(new Int16Array(samples).fill(value));
    this.#wake?.();
  }
  end(): void {
    this.#end = true;
    this.#wake?.();
  }
  fail(err: unknown): void {
    this.#error = err;
    this.#wake?.();
  }
  async *stream(): AsyncGenerator<Int16Array> {
    for (;;) {
      const next = this.chunks.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#end) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function rig(options: { cached?: Record<string, Int16Array>; firstChunkTimeoutMs?: number } = {}) {
  const port = new Port();
  const synths: Synth[] = [];
  const events: string[] = [];
  const playback = new StreamPlayback({
    port,
    name: 'r1',
    audio: (text, signal) => {
      const cached = options.cached?.[text];
      if (cached) return cached;
      const s = new Synth(text, signal);
      synths.push(s);
      return s.stream();
    },
    frameSamples: FRAME,
    frameMs: 20,
    trustMarks: () => true,
    firstChunkTimeoutMs: options.firstChunkTimeoutMs ?? 5000,
    retryable: isRetryable,
    hooks: {
      onFirstAudio: (cached) => events.push(`first-audio ${cached}`),
      onPlayStarted: () => events.push('started'),
      onMarkEcho: (i) => events.push(`echo ${i}`),
      onFinished: () => events.push('finished'),
      onError: (err) => events.push(`error ${(err as ProviderError).code}`),
      onSynthFailure: (err, retrying) => events.push(`synth-failure ${(err as ProviderError).code} ${retrying}`),
    },
  });
  return { port, synths, events, playback };
}

describe('StreamPlayback', () => {
  it('streams each sentence as its audio arrives, marks it when complete, and synthesizes the next meanwhile', async () => {
    const { port, synths, events, playback } = rig();
    playback.start();
    playback.push('One.');
    assert.equal(synths.length, 1);
    synths[0].push(1);
    await tick();
    assert.deepEqual(port.log, ['play 1x160'], 'the first chunk plays before the sentence is complete');
    playback.push('Two.');
    playback.push('Three.');
    assert.equal(synths.length, 2, 'one sentence ahead, not more');
    synths[1].push(2); // the next sentence's audio waits for the first to end
    synths[0].push(1);
    await tick();
    assert.deepEqual(port.log, ['play 1x160', 'play 1x160']);
    synths[0].end();
    await tick();
    assert.deepEqual(port.log.slice(2), ['mark r1.0', 'play 2x160']);
    assert.equal(synths.length, 3);
    synths[1].end();
    synths[2].push(3);
    synths[2].end();
    await tick();
    assert.deepEqual(port.log.slice(4), ['mark r1.1', 'play 3x160', 'mark r1.2']);
    port.echo('r1.0');
    port.echo('r1.1');
    port.echo('r1.2');
    await tick();
    assert.ok(!events.includes('finished'), 'more sentences may come until end()');
    playback.end();
    await tick();
    assert.deepEqual(events, ['first-audio false', 'started', 'echo 0', 'echo 1', 'echo 2', 'finished']);
    assert.equal(playback.ledger.text(), 'One. Two. Three.');
  });

  it('cached audio plays at once, in the same call', () => {
    const { port, playback } = rig({ cached: { 'Hello.': new Int16Array(FRAME).fill(9) } });
    playback.start();
    playback.push('Hello.');
    playback.end();
    assert.deepEqual(port.log, ['play 9x160', 'mark r1.0']);
  });

  it('a failure before any audio is retried once; the second failure gives up', async () => {
    const { port, synths, events, playback } = rig();
    playback.start();
    playback.push('One.');
    synths[0].fail(new ProviderError('server', '500'));
    await tick();
    assert.equal(synths.length, 2, 'asked again');
    assert.equal(synths[1].text, 'One.');
    synths[1].push(1);
    synths[1].end();
    await tick();
    playback.push('Two.');
    synths[2].fail(new ProviderError('connection-lost', 'drop'));
    await tick();
    assert.deepEqual(events, ['synth-failure server true', 'first-audio false', 'started', 'synth-failure connection-lost false', 'error connection-lost']);
    assert.deepEqual(port.log, ['play 1x160', 'mark r1.0']);
  });

  it('a refusal is not retried', async () => {
    const { events, synths, playback } = rig();
    playback.start();
    playback.push('One.');
    synths[0].fail(new ProviderError('unauthorized', '401'));
    await tick();
    assert.equal(synths.length, 1);
    assert.deepEqual(events, ['synth-failure unauthorized false', 'error unauthorized']);
  });

  it('a sentence that breaks off after some of it played is not said again: the next one follows', async () => {
    const { port, synths, playback } = rig();
    playback.start();
    playback.push('One two three.');
    playback.push('Four.');
    synths[0].push(1);
    await tick();
    synths[0].fail(new ProviderError('connection-lost', 'drop'));
    synths[1].push(4);
    synths[1].end();
    await tick();
    assert.deepEqual(port.log, ['play 1x160', 'mark r1.0', 'play 4x160', 'mark r1.1']);
    assert.equal(synths.length, 2);
  });

  it('no first chunk in time is a timeout (and counts as the retry)', async () => {
    const { events, synths, playback } = rig({ firstChunkTimeoutMs: 20 });
    playback.start();
    playback.push('One.');
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(synths[0].aborted, true);
    assert.equal(synths.length, 2);
    assert.deepEqual(events, ['synth-failure timeout true']);
  });

  it('cut stops synthesis and tells what was heard; a resume replays complete audio and synthesizes the rest again', async () => {
    const { port, synths, playback } = rig();
    playback.start();
    playback.push('One.');
    playback.push('Two.');
    playback.push('Three.');
    synths[0].push(1);
    synths[0].end();
    synths[1].push(2);
    synths[1].end();
    await tick();
    synths[2].push(3);
    await tick();
    port.echo('r1.0');
    await tick();
    assert.equal(playback.cut(40), 1);
    assert.equal(synths[2].aborted, true);
    port.log.length = 0;
    playback.end();
    playback.start(1);
    assert.deepEqual(port.log, ['play 2x160', 'mark r1.1'], 'sentence 1 was complete: replayed without asking again');
    assert.equal(synths.length, 4);
    assert.equal(synths[3].text, 'Three.');
    synths[3].push(3);
    synths[3].end();
    await tick();
    assert.deepEqual(port.log.slice(2), ['play 3x160', 'mark r1.2']);
  });
});
