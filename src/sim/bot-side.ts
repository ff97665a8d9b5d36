import { parseBotMessage } from './bot-messages.js';
import type { CallLog } from './call-log.js';
import type { ExotelMessageWriter } from './exotel-messages.js';
import { checkMediaSize, isStrictBase64 } from './media-rules.js';
import { PacingMonitor } from './pacing.js';
import { PcmRecorder } from './pcm-recorder.js';
import { PlayoutQueue, TICK_MS, type TickOutcome } from './playout.js';
import type { ClearRecord, MarkRecord, SimReport } from './report.js';

/**
 * The bot's side of the call as Exotel sees it: every text frame the bot sends is parsed and checked
 * (base64, frame sizes, pacing, event names), its audio plays out on the 20 ms tick into what the caller
 * heard, and its marks are echoed once the audio queued before them has played (or dropped by a clear).
 */

export interface BotSideOptions {
  streamSid: string;
  /** Queued-ahead audio above which arriving frames count as a burst. */
  burstThresholdMs: number;
  /** A dry playout refilled within this window is an underrun inside one reply. */
  replyGapMs: number;
  log: CallLog;
  elapsedMs: () => number;
  /** Sends a text frame to the bot while the socket is open. */
  send: (text: string) => void;
}

type BotSummary = Pick<SimReport, 'firstBotAudioMs' | 'botMedia' | 'marks' | 'clears' | 'pacing' | 'playedAudio'>;

export class BotSide {
  private readonly pacing: PacingMonitor;
  private readonly recorder = new PcmRecorder();
  private readonly marks: MarkRecord[] = [];
  private readonly clears: ClearRecord[] = [];
  private readonly sizeHistogram = new Map<number, number>();
  private playout: PlayoutQueue<MarkRecord> | undefined;
  private writer: ExotelMessageWriter | undefined;
  private playFrame = new Int16Array(0);
  private sampleRate = 8000;
  private tickIndex = 0;
  private lastOutcome: TickOutcome = 'idle';
  private firstBotAudioMs: number | null = null;
  private frames = 0;
  private bytes = 0;
  private audioSamples = 0;
  private streamSidMismatches = 0;

  constructor(private readonly options: BotSideOptions) {
    this.pacing = new PacingMonitor({ burstThresholdMs: options.burstThresholdMs, replyGapMs: options.replyGapMs });
  }

  /** The stream is open: playout runs at its rate and marks are echoed through `writer`. */
  begin(sampleRate: number, writer: ExotelMessageWriter): void {
    this.sampleRate = sampleRate;
    this.writer = writer;
    this.playout = new PlayoutQueue<MarkRecord>(sampleRate, (mark) => this.echoMark(mark));
    this.playFrame = new Int16Array(this.playout.frameSamples);
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    const { log } = this.options;
    if (isBinary) {
      log.violate('binary-frame', `binary frame of ${data.length} bytes; Exotel expects JSON text frames`);
      return;
    }
    const msg = parseBotMessage(data.toString('utf8'));
    switch (msg.kind) {
      case 'media':
        if (msg.streamSid !== undefined && msg.streamSid !== this.options.streamSid) this.streamSidMismatches += 1;
        this.onMedia(msg.payload);
        return;
      case 'mark':
        this.onMark(msg.name);
        return;
      case 'clear':
        this.onClear();
        return;
      case 'unknown':
        log.violate('unknown-event', `unknown event "${msg.event}" (Exotel accepts only media, mark, clear); ignored`);
        return;
      case 'invalid':
        log.violate('invalid-message', msg.reason);
        return;
    }
  }

  /** Plays one 20 ms frame of queued bot audio (or silence) into the recording. */
  tick(k: number): void {
    const { log } = this.options;
    this.tickIndex = k;
    const outcome = this.queue().tick(this.playFrame);
    this.recorder.append(this.playFrame);
    const atMs = k * TICK_MS;
    if (outcome === 'audio' && this.lastOutcome !== 'audio') {
      log.addTimeline('bot audio playing', atMs);
      log.emit('playoutStarted', { atMs });
    } else if (outcome === 'ran-dry' || outcome === 'reply-ended') {
      const endOfReply = outcome === 'reply-ended';
      if (endOfReply) this.pacing.onReplyEnded();
      else this.pacing.onRanDry(atMs);
      log.addTimeline(endOfReply ? 'bot audio finished' : 'playout ran dry (gap unless the reply was over)', atMs);
      log.emit('playoutIdle', { atMs, endOfReply });
    }
    this.lastOutcome = outcome;
  }

  summary(): BotSummary {
    return {
      firstBotAudioMs: this.firstBotAudioMs,
      botMedia: {
        frames: this.frames,
        bytes: this.bytes,
        audioMs: (this.audioSamples / this.sampleRate) * 1000,
        sizeHistogram: Object.fromEntries([...this.sizeHistogram].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
        streamSidMismatches: this.streamSidMismatches,
      },
      marks: {
        sent: this.marks.length,
        echoed: this.marks.filter((m) => m.status === 'echoed').length,
        dropped: this.marks.filter((m) => m.status === 'dropped').length,
        records: this.marks.map((m) => ({ ...m })),
      },
      clears: this.clears.map((c) => ({ ...c, droppedMarks: c.droppedMarks.slice() })),
      pacing: this.pacing.summary(),
      playedAudio: this.recorder.samples(),
    };
  }

  private queue(): PlayoutQueue<MarkRecord> {
    if (!this.playout) throw new Error('bot side used before the stream opened');
    return this.playout;
  }

  private onMedia(payload: string): void {
    const { log } = this.options;
    const playout = this.queue();
    const index = this.frames++;
    const atMs = this.options.elapsedMs();
    if (!isStrictBase64(payload)) {
      log.violate('invalid-base64', `media payload is not valid base64 (${payload.length} chars); frame dropped`, index);
      log.emit('botMedia', { index, atMs, bytes: 0, durationMs: 0, aheadMs: playout.bufferedAheadMs, queued: false });
      return;
    }
    const bytes = Buffer.from(payload, 'base64');
    for (const problem of checkMediaSize(bytes.length, this.sampleRate)) log.violate(problem.rule, problem.message, index);
    this.sizeHistogram.set(bytes.length, (this.sizeHistogram.get(bytes.length) ?? 0) + 1);
    this.bytes += bytes.length;
    // Copy into an aligned Int16Array (PCM16LE on a little-endian host); an odd trailing byte is dropped.
    const samples = new Int16Array(bytes.length >> 1);
    new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.byteLength));
    this.audioSamples += samples.length;
    const durationMs = (samples.length / this.sampleRate) * 1000;
    const aheadMs = playout.bufferedAheadMs;
    playout.enqueueAudio(samples);
    if (this.pacing.onBotFrame(atMs, bytes.length, durationMs, aheadMs)) {
      log.violate(
        'burst',
        `${Math.round(aheadMs + durationMs)} ms of bot audio queued ahead of real time (limit ${this.options.burstThresholdMs} ms): send at real-time pace`,
        index,
      );
    }
    if (this.firstBotAudioMs === null && samples.length > 0) {
      this.firstBotAudioMs = atMs;
      log.addTimeline(`first bot audio frame (${bytes.length} B)`, atMs);
      log.emit('firstBotAudio', { atMs });
    }
    log.emit('botMedia', { index, atMs, bytes: bytes.length, durationMs, aheadMs, queued: samples.length > 0 });
  }

  private onMark(name: string): void {
    const playout = this.queue();
    const record: MarkRecord = {
      name,
      receivedAtMs: this.options.elapsedMs(),
      receivedAtPlayoutMs: this.tickIndex * TICK_MS,
      queuedAheadMs: playout.bufferedAheadMs,
      status: 'pending',
    };
    this.marks.push(record);
    if (!playout.enqueueMark(record)) this.echoMark(record);
  }

  private echoMark(record: MarkRecord): void {
    const { log } = this.options;
    if (this.writer) this.options.send(this.writer.markEcho(record.name));
    record.status = 'echoed';
    record.echoedAtMs = this.options.elapsedMs();
    record.echoedAtPlayoutMs = this.tickIndex * TICK_MS;
    log.addTimeline(`mark "${record.name}" echoed (had ${record.queuedAheadMs} ms queued ahead)`, record.echoedAtMs);
    log.emit('markEchoed', { ...record });
  }

  private onClear(): void {
    const { log } = this.options;
    const { droppedMs, droppedMarks } = this.queue().clear();
    const clear: ClearRecord = { atMs: this.options.elapsedMs(), droppedMs, droppedMarks: droppedMarks.map((m) => m.name) };
    this.clears.push(clear);
    this.pacing.onReplyEnded();
    log.addTimeline(`clear: dropped ${droppedMs} ms of audio and ${droppedMarks.length} mark(s)`, clear.atMs);
    for (const mark of droppedMarks) {
      mark.status = 'dropped';
      log.emit('markDropped', { ...mark });
    }
    log.emit('clear', clear);
  }
}
