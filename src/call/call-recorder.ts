// One call's recording: a stereo PCM16 WAV, caller on the left, agent on the right, both on the call's clock.
// Caller frames land where they arrived; agent frames where the media pacer scheduled them to play, and a
// barge-in's `clear` wipes what had been sent but not yet played, so the file holds what the caller heard.
// Audio is kept in a small window (a few seconds) and written out about once a second; a failure to write stops
// the recording, never the call.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pcm16WavHeader } from '../audio/wav.js';
import { recordingPath } from './recording-files.js';

/** What a recorder needs from the gateway. */
export interface RecorderEnv {
  dir: string;
  /** Counts (and rate-limits the logging of) a recording that failed. */
  onFailure(err: unknown, stage: 'open' | 'write' | 'finish' | 'overflow'): void;
}

/** Seconds of audio the window holds; agent audio is at most the pacer's lead (~100 ms) ahead of now. */
const WINDOW_SEC = 3;
/** Written out once this much audio is complete. */
const FLUSH_SEC = 1;
/** Caller frames arriving later than this after the previous one leave silence (a gap in the stream). */
const GAP_TOLERANCE_SEC = 0.2;
/** The write stream may fall this far behind before the recording gives up (a disk that stalls). */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
/** RIFF sizes are 32-bit. */
const MAX_DATA_BYTES = 0xffff_fff0;

export class CallRecorder {
  private readonly perMs: number;
  /** Interleaved L/R samples from sample index `base` on. */
  private window: Int16Array;
  private base = 0;
  /** Next caller sample index. */
  private callerAt = 0;
  private dataBytes = 0;
  private readonly tmpPath: string;
  private stream?: WriteStream;
  private failed = false;
  private finished = false;

  constructor(
    private readonly env: RecorderEnv,
    private readonly sampleRate: number,
    /** Scheduler time (ms) of sample 0: when the stream started. */
    private readonly startMs: number,
  ) {
    this.perMs = sampleRate / 1000;
    this.window = new Int16Array(WINDOW_SEC * sampleRate * 2);
    this.tmpPath = join(env.dir, `.${randomBytes(8).toString('hex')}.wav.part`);
    try {
      this.stream = createWriteStream(this.tmpPath, { flags: 'wx' });
      this.stream.on('error', (err) => this.fail(err, 'write'));
      this.stream.write(pcm16WavHeader(2, sampleRate, 0xffffffff));
    } catch (err) {
      this.fail(err, 'open');
    }
  }

  /** Bytes of audio written (the WAV's data chunk). */
  get bytes(): number {
    return this.dataBytes;
  }

  get active(): boolean {
    return !this.failed && !this.finished;
  }

  /** A caller frame that arrived at `nowMs`. */
  caller(pcm: Int16Array, nowMs: number): void {
    if (!this.active) return;
    const arrivedEnd = this.index(nowMs);
    let at = this.callerAt;
    // A frame that comes well after the previous one ended follows a gap: keep it in its place in time.
    if (arrivedEnd - pcm.length > at + GAP_TOLERANCE_SEC * this.sampleRate) at = arrivedEnd - pcm.length;
    this.put(0, pcm, at);
    this.callerAt = at + pcm.length;
    this.maybeFlush(nowMs);
  }

  /** An agent frame the pacer sent, to be played from `playAtMs` on. */
  agent(pcm: Buffer, playAtMs: number): void {
    if (!this.active) return;
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
    this.put(1, samples, this.index(playAtMs));
  }

  /** Barge-in at `nowMs`: agent audio from then on was never played. */
  cleared(nowMs: number): void {
    if (!this.active) return;
    const from = Math.max(0, this.index(nowMs) - this.base);
    for (let i = from * 2 + 1; i < this.window.length; i += 2) this.window[i] = 0;
  }

  /**
   * The call ended at `nowMs`: writes the rest, completes the header and moves the file to `recordId`'s name
   * (or deletes it when there is no record to attach it to). Never throws.
   */
  async finish(nowMs: number, recordId: () => Promise<string | undefined>): Promise<string | undefined> {
    if (!this.active) return undefined;
    this.flushTo(Math.max(this.index(nowMs), this.callerAt));
    // The last chunk may have failed it (the stream is gone then).
    if (!this.active) return undefined;
    this.finished = true;
    const stream = this.stream!;
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
      const fh = await open(this.tmpPath, 'r+');
      try {
        await fh.write(pcm16WavHeader(2, this.sampleRate, this.dataBytes), 0, 44, 0);
      } finally {
        await fh.close();
      }
      const id = await recordId();
      const final = id === undefined ? undefined : recordingPath(this.env.dir, id);
      if (!final) {
        await unlink(this.tmpPath);
        return undefined;
      }
      if (!(await this.appendTo(final))) await rename(this.tmpPath, final);
      return final;
    } catch (err) {
      if (!this.failed) this.env.onFailure(err, 'finish');
      this.failed = true;
      await unlink(this.tmpPath).catch(() => {});
      return undefined;
    }
  }

  /**
   * Exotel reconnected the call (a new socket replaced the one that recorded `final`): this part is appended to the
   * earlier one's, when it has the same format, instead of replacing it. False when there is nothing to append to.
   */
  private async appendTo(final: string): Promise<boolean> {
    let fh;
    try {
      fh = await open(final, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      const head = Buffer.alloc(44);
      await fh.read(head, 0, 44, 0);
      if (head.readUInt16LE(22) !== 2 || head.readUInt32LE(24) !== this.sampleRate) return false;
      const earlier = head.readUInt32LE(40);
      if (earlier + this.dataBytes > MAX_DATA_BYTES) return false;
      await pipeline(createReadStream(this.tmpPath, { start: 44 }), createWriteStream(final, { flags: 'r+', start: 44 + earlier }));
      await fh.write(pcm16WavHeader(2, this.sampleRate, earlier + this.dataBytes), 0, 44, 0);
    } finally {
      await fh.close();
    }
    await unlink(this.tmpPath);
    return true;
  }

  /** Stops without keeping anything (the call never got a record). */
  discard(): void {
    if (!this.active) return;
    this.finished = true;
    this.stream?.destroy();
    void unlink(this.tmpPath).catch(() => {});
  }

  private index(ms: number): number {
    return Math.max(0, Math.round((ms - this.startMs) * this.perMs));
  }

  private put(channel: 0 | 1, pcm: Int16Array, at: number): void {
    let src = 0;
    if (at < this.base) {
      // Already written out: only a late frame's tail can still land.
      src = this.base - at;
      at = this.base;
    }
    if (src >= pcm.length) return;
    const end = at + pcm.length - src;
    const capacity = this.window.length / 2;
    if (end - this.base > capacity) this.flushTo(end - capacity);
    if (!this.active) return;
    let w = (at - this.base) * 2 + channel;
    for (let i = src; i < pcm.length; i++, w += 2) this.window[w] = pcm[i];
  }

  private maybeFlush(nowMs: number): void {
    // Not past the caller's next sample: frames a little behind real time (jitter, a late first frame) still land.
    const upTo = Math.min(this.index(nowMs), this.callerAt);
    if (upTo - this.base >= FLUSH_SEC * this.sampleRate) this.flushTo(upTo);
  }

  /** Writes out every sample before `upTo` and slides the window on (a jump past the window writes silence). */
  private flushTo(upTo: number): void {
    const capacity = this.window.length / 2;
    while (this.active && upTo > this.base) {
      const frames = Math.min(upTo - this.base, capacity);
      // A copy: the window is reused at once, and the stream writes later.
      const copy = Buffer.allocUnsafe(frames * 4);
      Buffer.from(this.window.buffer, this.window.byteOffset, frames * 4).copy(copy);
      this.window.copyWithin(0, frames * 2);
      this.window.fill(0, this.window.length - frames * 2);
      this.base += frames;
      if (this.dataBytes + copy.length > MAX_DATA_BYTES) return this.fail(new Error('recording reached the WAV size limit'), 'overflow');
      if (this.stream!.writableLength > MAX_BACKLOG_BYTES) return this.fail(new Error('the disk is not keeping up with the recording'), 'overflow');
      this.dataBytes += copy.length;
      this.stream!.write(copy);
    }
  }

  private fail(err: unknown, stage: 'open' | 'write' | 'finish' | 'overflow'): void {
    if (this.failed) return;
    this.failed = true;
    this.env.onFailure(err, stage);
    this.stream?.destroy();
    void unlink(this.tmpPath).catch(() => {});
  }
}
