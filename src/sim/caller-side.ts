import { CallerAudioQueue, toStreamRate, type CallerAudioInput } from './caller-audio.js';
import type { CallLog } from './call-log.js';
import type { ExotelMessageWriter } from './exotel-messages.js';
import type { SimReport } from './report.js';

/**
 * The caller's side of the call: speech queued clip after clip and sent as media frames at real-time pace
 * (silence between clips, as a phone line would), and DTMF keypresses now or at set times.
 */

const DTMF_DIGIT = /^[0-9*#]$/;

export interface CallerSideOptions {
  /** Caller media frame duration, 20 or 100 ms. */
  frameMs: number;
  log: CallLog;
  elapsedMs: () => number;
  /** Sends a text frame to the bot while the socket is open. */
  send: (text: string) => void;
}

type CallerSummary = Pick<SimReport, 'callerMedia' | 'dtmfSent'>;

export class CallerSide {
  private readonly queue = new CallerAudioQueue();
  private readonly dtmfSent: Array<{ digit: string; atMs: number }> = [];
  private readonly scheduledDtmf: Array<{ digit: string; atMs: number; durationMs: number }> = [];
  private writer: ExotelMessageWriter | undefined;
  private frame = new Int16Array(0);
  private silenceBase64 = '';
  private sampleRate = 8000;
  private frames = 0;
  private audioSamples = 0;
  private stopped = false;

  constructor(private readonly options: CallerSideOptions) {}

  /** The stream is open: frames are cut at its rate and written by `writer`. */
  begin(sampleRate: number, writer: ExotelMessageWriter): void {
    this.sampleRate = sampleRate;
    this.writer = writer;
    this.frame = new Int16Array((sampleRate * this.options.frameMs) / 1000);
    this.silenceBase64 = Buffer.alloc(this.frame.byteLength).toString('base64');
  }

  /** Queues speech behind earlier clips; resolves when it has all been sent (at once if the call is over). */
  sendAudio(input: CallerAudioInput): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.queue.push(toStreamRate(input, this.sampleRate));
  }

  sendDtmf(digit: string, durationMs: number): void {
    if (!DTMF_DIGIT.test(digit)) throw new RangeError(`DTMF digit must be 0-9, * or #: ${digit}`);
    if (this.stopped || !this.writer) return;
    this.options.send(this.writer.dtmf(digit, durationMs));
    const event = { digit, atMs: this.options.elapsedMs() };
    this.dtmfSent.push(event);
    this.options.log.addTimeline(`dtmf ${digit} sent`);
    this.options.log.emit('dtmfSent', event);
  }

  /** Sends a `dtmf` event at `atMs` after `start` (on the 20 ms tick grid). */
  scheduleDtmf(digit: string, atMs: number, durationMs: number): void {
    if (!DTMF_DIGIT.test(digit)) throw new RangeError(`DTMF digit must be 0-9, * or #: ${digit}`);
    this.scheduledDtmf.push({ digit, atMs, durationMs });
    this.scheduledDtmf.sort((a, b) => a.atMs - b.atMs);
  }

  /** At playout time `atMs`: a media frame when one is due, then any keypress due by now. */
  tick(k: number, atMs: number): void {
    if (k > 0 && atMs % this.options.frameMs === 0) this.sendFrame(atMs / this.options.frameMs, atMs);
    while (this.scheduledDtmf.length > 0 && this.scheduledDtmf[0].atMs <= atMs) {
      const d = this.scheduledDtmf.shift() as { digit: string; durationMs: number };
      this.sendDtmf(d.digit, d.durationMs);
    }
  }

  /** The call is over: queued speech is dropped (its promises resolve) and nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.queue.cancel();
  }

  summary(): CallerSummary {
    return {
      callerMedia: { frames: this.frames, audioMs: (this.audioSamples / this.sampleRate) * 1000 },
      dtmfSent: this.dtmfSent.map((d) => ({ ...d })),
    };
  }

  private sendFrame(chunk: number, timestampMs: number): void {
    if (!this.writer) return;
    const real = this.queue.read(this.frame);
    const frame = this.frame;
    const payload = real === 0 ? this.silenceBase64 : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
    this.options.send(this.writer.media(chunk, timestampMs, payload));
    this.frames += 1;
    this.audioSamples += real;
  }
}
