// Streaming speech-to-text for one call: every chunk of caller audio goes to the provider as it
// arrives; its transcripts feed turn-taking (a final one shortens endpointing) and make up each
// turn's text. At the end of a turn the text is usually complete already; if not, the provider is
// asked to finalize and given a short bound to answer. A stream that dies is reopened once; if the
// new one dies too before it transcribed anything, the transcriber gives up.
import type { SttEvent, SttStream, SttStreamOptions, StreamingSpeechToText } from '../providers/types.js';
import { failureReport, type ProviderFailureReport } from './provider-failure.js';

/** Providers that can hand out a stream at once and buffer audio while it connects (Deepgram). */
interface ConnectingSpeechToText extends StreamingSpeechToText {
  connect(options: SttStreamOptions): SttStream;
}

export interface LiveTranscriberOptions {
  stt: StreamingSpeechToText;
  sampleRate: number;
  language?: string;
  keywords?: readonly string[];
  /** The call's signal: ends every stream. */
  signal: AbortSignal;
  /** Each non-empty transcript (interim or final), for turn-taking. */
  onTranscript(text: string, final: boolean): void;
  /** A failure; `retrying` = the stream is being reopened. */
  onFailure(report: ProviderFailureReport): void;
  /** The stream died and could not be reopened: no more transcripts will come. */
  onDead(): void;
  now(): number;
}

export interface TurnText {
  text: string;
  confidence: number;
  /** How long the turn's end waited for the provider (0 when the text was complete). */
  waitedMs: number;
  /** The provider answered the finalize within the bound (or nothing was pending). */
  complete: boolean;
  /** The language the provider heard in the turn's last final that named one (Sarvam's detection). */
  language?: string;
}

interface Segment {
  text: string;
  confidence: number;
  language?: string;
  /** Stream ms (ours: audio written since the call's first chunk). */
  endMs: number;
}

/**
 * Caller audio is sent in batches of this much: calls deliver 20 ms frames, and one socket write per frame is most of
 * a busy gateway's send cost. Deepgram recommends 20-250 ms per message (github.com/orgs/deepgram/discussions/224);
 * the delay this adds to a final transcript stays within the endpointing silence.
 */
const BATCH_MS = 60;
/** Final segments kept for continuation turns. */
const KEEP_SEGMENTS = 64;
/** Audio kept while a provider without `connect` opens, in ms. */
const OPEN_BUFFER_MS = 2000;

export class LiveTranscriber {
  readonly #o: LiveTranscriberOptions;
  #stream: SttStream | null = null;
  /** Audio written before the current stream opened, in samples (its own clock starts at 0). */
  #offsetSamples = 0;
  #written = 0;
  #reopened = false;
  /** Bumped per stream opened: events of a replaced stream are ignored. */
  #gen = 0;
  #dead = false;
  #closed = false;
  readonly #finals: Segment[] = [];
  #interim: { text: string; endMs: number } | null = null;
  #finalWaiters: (() => void)[] = [];
  /** Audio written while a plain `open()` connects. */
  #pending: Int16Array[] | null = null;
  #pendingSamples = 0;
  /** Audio waiting to fill a batch (reused: the stream copies what it is given). */
  readonly #batch: Int16Array;
  #batched = 0;

  constructor(options: LiveTranscriberOptions) {
    this.#o = options;
    this.#batch = new Int16Array(Math.round((BATCH_MS * options.sampleRate) / 1000));
    this.#open();
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Stream ms of the audio written so far. */
  get writtenMs(): number {
    return (this.#written * 1000) / this.#o.sampleRate;
  }

  write(pcm: Int16Array): void {
    if (this.#dead || this.#closed) return;
    this.#written += pcm.length;
    const batch = this.#batch;
    for (let at = 0; at < pcm.length; ) {
      const n = Math.min(pcm.length - at, batch.length - this.#batched);
      batch.set(pcm.subarray(at, at + n), this.#batched);
      this.#batched += n;
      at += n;
      if (this.#batched === batch.length) this.#flush();
    }
  }

  /** Sends what is batched. */
  #flush(): void {
    if (this.#batched === 0) return;
    const pcm = this.#batch.subarray(0, this.#batched);
    this.#batched = 0;
    if (this.#pending) {
      if (this.#pendingSamples < (OPEN_BUFFER_MS * this.#o.sampleRate) / 1000) {
        this.#pending.push(pcm.slice());
        this.#pendingSamples += pcm.length;
      }
      return;
    }
    this.#stream?.write(pcm);
  }

  /**
   * The caller's words since stream ms `fromMs` (a turn's start). Waits up to `boundMs` for the
   * provider to finalize when its text for the turn is not final yet.
   */
  async turnText(fromMs: number, boundMs: number): Promise<TurnText> {
    const t0 = this.#o.now();
    let complete = true;
    const settled = this.#interim === null && this.#finals.some((f) => f.endMs > fromMs);
    if (!settled && !this.#dead && this.#stream) {
      this.#flush();
      complete = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.#finalWaiters = this.#finalWaiters.filter((w) => w !== done);
          resolve(false);
        }, boundMs);
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        this.#finalWaiters.push(done);
        this.#stream!.finalize();
      });
    }
    const parts = this.#finals.filter((f) => f.endMs > fromMs);
    const words = parts.map((f) => f.text);
    // Not finalized in time: the last interim is the best there is.
    if (this.#interim && this.#interim.endMs > fromMs) words.push(this.#interim.text);
    const text = words.join(' ').replace(/\s+/g, ' ').trim();
    const confidence = parts.length > 0 ? Math.min(...parts.map((p) => p.confidence)) : text ? 0.5 : 0;
    const language = parts.findLast((p) => p.language)?.language;
    return { text, confidence, waitedMs: this.#o.now() - t0, complete, ...(language ? { language } : {}) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeWaiters();
    // The caller's last words (a part batch) go out before the stream ends, so the provider transcribes all of them.
    if (!this.#dead) this.#flush();
    const s = this.#stream;
    this.#stream = null;
    void s?.close().catch(() => {});
  }

  #open(): void {
    const o = this.#o;
    const gen = ++this.#gen;
    const opts: SttStreamOptions = {
      sampleRate: o.sampleRate,
      language: o.language,
      keywords: o.keywords,
      signal: o.signal,
      onEvent: (e) => {
        if (gen === this.#gen && !this.#closed) this.#onEvent(gen, e);
      },
    };
    this.#offsetSamples = this.#written;
    this.#interim = null;
    const stt = o.stt as Partial<ConnectingSpeechToText>;
    if (typeof stt.connect === 'function') {
      // Buffers the audio written while it connects; an open failure arrives as a fatal event.
      this.#stream = stt.connect.call(o.stt, opts);
      return;
    }
    this.#pending = [];
    this.#pendingSamples = 0;
    o.stt.open(opts).then(
      (stream) => {
        if (this.#closed || this.#dead) {
          void stream.close().catch(() => {});
          return;
        }
        this.#stream = stream;
        const pending = this.#pending ?? [];
        this.#pending = null;
        for (const pcm of pending) stream.write(pcm);
      },
      (err: unknown) => {
        this.#pending = null;
        if (!o.signal.aborted) this.#failed(gen, err);
      },
    );
  }

  #onEvent(gen: number, e: SttEvent): void {
    switch (e.type) {
      case 'transcript': {
        // The stream works: a later drop gets its own reopen.
        this.#reopened = false;
        const endMs = this.#streamMs(e.endMs);
        const text = e.text.trim();
        if (e.final) {
          this.#interim = null;
          if (text) {
            this.#finals.push({ text, confidence: e.confidence ?? 1, endMs, language: e.language });
            if (this.#finals.length > KEEP_SEGMENTS) this.#finals.shift();
          }
          this.#wakeWaiters();
        } else if (text) {
          this.#interim = { text, endMs };
        }
        if (text) this.#o.onTranscript(text, e.final);
        return;
      }
      case 'error':
        if (e.fatal) this.#failed(gen, e.error);
        else this.#o.onFailure(failureReport(this.#o.stt.name, 'stt', e.error, true));
        return;
      default:
        return;
    }
  }

  #failed(gen: number, err: unknown): void {
    // A stream already replaced failing is late news.
    if (this.#closed || this.#dead || gen !== this.#gen) return;
    const retrying = !this.#reopened;
    this.#o.onFailure(failureReport(this.#o.stt.name, 'stt', err, retrying));
    this.#stream = null;
    this.#wakeWaiters();
    if (retrying) {
      this.#reopened = true;
      this.#open();
      return;
    }
    this.#dead = true;
    this.#o.onDead();
  }

  #wakeWaiters(): void {
    const waiters = this.#finalWaiters;
    this.#finalWaiters = [];
    for (const w of waiters) w();
  }

  /** A provider time (ms since its stream opened) on our clock. */
  #streamMs(providerMs: number | undefined): number {
    if (providerMs === undefined) return this.writtenMs;
    return (this.#offsetSamples * 1000) / this.#o.sampleRate + providerMs;
  }
}
