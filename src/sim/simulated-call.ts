import type WebSocket from 'ws';
import { parseBotMessage } from './bot-messages.js';
import { CallerAudioQueue, toStreamRate, type CallerAudioInput } from './caller-audio.js';
import { callWebhook, openStream, streamParametersFromUrl, type WebhookBody, type WebhookMethod } from './dial.js';
import { ExotelMessageWriter, type StartShape } from './exotel-messages.js';
import { FrameClock, realClock, type SimClock } from './frame-clock.js';
import { randomSid } from './ids.js';
import { checkMediaSize, isStrictBase64 } from './media-rules.js';
import { PacingMonitor } from './pacing.js';
import { PcmRecorder } from './pcm-recorder.js';
import { PlayoutQueue, TICK_MS, type TickOutcome } from './playout.js';
import type { ClearRecord, EndedBy, MarkRecord, SimReport, TimelineEntry, Violation, ViolationRule } from './report.js';

export interface SimCallOptions {
  /** Dynamic-URL webhook (http/https) or the stream URL itself (ws/wss, userinfo becomes Basic auth). */
  url: string;
  /** Webhook method; GET sends the parameters as a query string. Default GET. */
  method?: WebhookMethod;
  /** Webhook POST body encoding. Default form. */
  webhookBody?: WebhookBody;
  /** Extra webhook parameters (e.g. `{ agent: 'support' }`). */
  webhookParams?: Record<string, string>;
  from?: string;
  to?: string;
  customField?: string;
  callSid?: string;
  streamSid?: string;
  accountSid?: string;
  /** Extra headers on the webhook request and the WebSocket upgrade (e.g. a Bearer token). */
  headers?: Record<string, string>;
  /** Caller media frame duration. Default 100 ms. */
  callerFrameMs?: 20 | 100;
  startShape?: StartShape;
  /** Queued-ahead audio above which arriving frames count as a burst. Default 500 ms. */
  burstThresholdMs?: number;
  /** A dry playout refilled within this window is an underrun inside one reply. Default 1000 ms. */
  replyGapMs?: number;
  handshakeTimeoutMs?: number;
  /** Handshake retries after a failure; Exotel makes one. Default 1. */
  handshakeRetries?: number;
  webhookTimeoutMs?: number;
  clock?: SimClock;
}

export interface BotFrameEvent {
  index: number;
  atMs: number;
  bytes: number;
  durationMs: number;
  aheadMs: number;
  /** False when the payload could not be decoded and nothing was queued. */
  queued: boolean;
}

export interface SimEvents {
  botMedia: BotFrameEvent;
  firstBotAudio: { atMs: number };
  markEchoed: MarkRecord;
  markDropped: MarkRecord;
  clear: ClearRecord;
  violation: Violation;
  dtmfSent: { digit: string; atMs: number };
  /** Playout started sounding bot audio after silence. */
  playoutStarted: { atMs: number };
  /** Playout queue emptied; `endOfReply` when a mark or clear ended it. */
  playoutIdle: { atMs: number; endOfReply: boolean };
  closed: { endedBy: EndedBy; code: number; reason: string; atMs: number };
}
export type SimEventName = keyof SimEvents;

export interface WaitForOptions<T> {
  predicate?: (event: T) => boolean;
  /** Default 10 s; Infinity waits forever. */
  timeoutMs?: number;
  /** Also match events that already happened (default true, so a fast bot cannot slip past). */
  includePast?: boolean;
}

interface Waiter {
  name: SimEventName;
  predicate: (event: never) => boolean;
  resolve: (event: never) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

const DTMF_DIGIT = /^[0-9*#]$/;

/** One call played as Exotel would, driven step by step. */
export class SimulatedCall {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  private readonly options: SimCallOptions;
  private readonly clock: SimClock;
  private readonly frameMs: number;
  private readonly callerQueue = new CallerAudioQueue();
  private readonly recorder = new PcmRecorder();
  private readonly pacing: PacingMonitor;
  private readonly eventLog: Array<{ name: SimEventName; event: unknown }> = [];
  private readonly waiters = new Set<Waiter>();
  private readonly timeline: TimelineEntry[] = [];
  private readonly violations: Violation[] = [];
  private readonly violationCounts: Partial<Record<ViolationRule, number>> = {};
  private readonly marks: MarkRecord[] = [];
  private readonly clears: ClearRecord[] = [];
  private readonly dtmfSent: Array<{ digit: string; atMs: number }> = [];
  private readonly scheduledDtmf: Array<{ digit: string; atMs: number; durationMs: number }> = [];
  private readonly sizeHistogram = new Map<number, number>();
  private readonly notes: string[] = [];

  private ws: WebSocket | undefined;
  private writer: ExotelMessageWriter | undefined;
  private playout: PlayoutQueue<MarkRecord> | undefined;
  private frameClock: FrameClock | undefined;
  private playFrame = new Int16Array(0);
  private callerFrame = new Int16Array(0);
  private silenceBase64 = '';

  private started = false;
  private closed = false;
  private hangingUp = false;
  private streamUrl = '';
  private sampleRate = 8000;
  private customParameters: Record<string, string> = {};
  private webhook: SimReport['webhook'];
  private connectMs = 0;
  private handshakeAttempts = 0;
  private tickIndex = 0;
  private lastOutcome: TickOutcome = 'idle';
  private firstBotAudioMs: number | null = null;
  private botFrames = 0;
  private botBytes = 0;
  private botAudioSamples = 0;
  private streamSidMismatches = 0;
  private callerFrames = 0;
  private callerAudioSamples = 0;
  private endedBy: EndedBy = 'caller';
  private closeCode = 0;
  private closeReason = '';
  private durationMs = 0;
  private closedPromise: Promise<void> | undefined;

  constructor(options: SimCallOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.frameMs = options.callerFrameMs ?? 100;
    if (this.frameMs !== 20 && this.frameMs !== 100) throw new RangeError('callerFrameMs must be 20 or 100');
    this.callSid = options.callSid ?? randomSid();
    this.streamSid = options.streamSid ?? randomSid();
    this.accountSid = options.accountSid ?? 'exotelsim1';
    this.pacing = new PacingMonitor({
      burstThresholdMs: options.burstThresholdMs ?? 500,
      replyGapMs: options.replyGapMs ?? 1000,
    });
  }

  /** Stream sample rate (known once started). */
  get rate(): number {
    return this.sampleRate;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** ms since `start` was sent. */
  elapsedMs(): number {
    return this.frameClock ? this.clock.now() - this.frameClock.startTime : 0;
  }

  /** Dials: webhook (if http/https), WebSocket upgrade, `connected`, `start`; then media flows until hangup. */
  async start(): Promise<void> {
    if (this.started) throw new Error('call already started');
    this.started = true;
    const o = this.options;
    const dialAt = this.clock.now();
    let streamUrl = o.url;
    if (/^https?:\/\//i.test(o.url)) {
      const method = o.method ?? 'GET';
      const from = o.from ?? '09876543210';
      const to = o.to ?? '08047491899';
      const result = await callWebhook({
        url: o.url,
        method,
        body: o.webhookBody ?? 'form',
        params: {
          CallSid: this.callSid,
          CallFrom: from,
          CallTo: to,
          Direction: 'incoming',
          From: from,
          To: to,
          CustomField: o.customField ?? '',
          ...o.webhookParams,
        },
        headers: o.headers ?? {},
        timeoutMs: o.webhookTimeoutMs ?? 10_000,
      });
      streamUrl = result.streamUrl;
      this.webhook = { url: o.url, method, status: result.status, elapsedMs: this.clock.now() - dialAt };
    } else if (!/^wss?:\/\//i.test(o.url)) {
      throw new Error(`url must be http(s):// (dynamic URL) or ws(s):// (stream URL): ${o.url}`);
    }
    const params = streamParametersFromUrl(streamUrl);
    this.sampleRate = params.sampleRate;
    this.customParameters = params.customParameters;
    this.notes.push(...params.notes);
    const opened = await openStream(streamUrl, {
      headers: o.headers ?? {},
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
      retries: o.handshakeRetries ?? 1,
    });
    this.ws = opened.ws;
    this.streamUrl = opened.url;
    this.handshakeAttempts = opened.attempts;
    this.connectMs = this.clock.now() - dialAt;

    this.playout = new PlayoutQueue<MarkRecord>(this.sampleRate, (mark) => this.echoMark(mark));
    this.playFrame = new Int16Array(this.playout.frameSamples);
    this.callerFrame = new Int16Array((this.sampleRate * this.frameMs) / 1000);
    this.silenceBase64 = Buffer.alloc(this.callerFrame.byteLength).toString('base64');
    this.writer = new ExotelMessageWriter(
      {
        streamSid: this.streamSid,
        callSid: this.callSid,
        legSid: randomSid(),
        accountSid: this.accountSid,
        from: o.from ?? '09876543210',
        to: o.to ?? '08047491899',
        customParameters: this.customParameters,
        sampleRate: this.sampleRate,
      },
      o.startShape ?? 'canonical',
    );
    const ws = this.ws;
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.onClose(code, reason.toString());
        resolve();
      });
    });
    ws.on('error', (err) => this.notes.push(`socket error: ${err.message}`));
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.frameClock = new FrameClock(TICK_MS, (k) => this.onTick(k), this.clock);
    ws.send(this.writer.connected());
    ws.send(this.writer.start());
    this.frameClock.start();
    this.addTimeline('start sent');
  }

  /** Queues caller speech (WAV bytes, or samples) behind earlier clips; resolves when it has all been sent. */
  sendAudio(input: CallerAudioInput): Promise<void> {
    this.requireStarted();
    if (this.closed) return Promise.resolve();
    const samples = toStreamRate(input, this.sampleRate);
    return this.callerQueue.push(samples);
  }

  /** Sends a `dtmf` event now. */
  sendDtmf(digit: string, durationMs = 100): void {
    this.requireStarted();
    if (!DTMF_DIGIT.test(digit)) throw new RangeError(`DTMF digit must be 0-9, * or #: ${digit}`);
    if (this.closed || !this.writer) return;
    this.send(this.writer.dtmf(digit, durationMs));
    const event = { digit, atMs: this.elapsedMs() };
    this.dtmfSent.push(event);
    this.addTimeline(`dtmf ${digit} sent`);
    this.emit('dtmfSent', event);
  }

  /** Sends a `dtmf` event at `atMs` after `start` (on the 20 ms tick grid). */
  scheduleDtmf(digit: string, atMs: number, durationMs = 100): void {
    if (!DTMF_DIGIT.test(digit)) throw new RangeError(`DTMF digit must be 0-9, * or #: ${digit}`);
    this.scheduledDtmf.push({ digit, atMs, durationMs });
    this.scheduledDtmf.sort((a, b) => a.atMs - b.atMs);
  }

  /** Caller hangs up: `stop` (reason callended), close 1000, wait for the close. */
  async hangup(reason: 'callended' | 'stopped' = 'callended'): Promise<SimReport> {
    this.requireStarted();
    const ws = this.ws;
    if (!this.closed && ws && this.writer) {
      this.hangingUp = true;
      this.send(this.writer.stop(reason));
      this.addTimeline(`stop (${reason}) sent, closing 1000`);
      ws.close(1000);
      const timer = this.clock.setTimeout(() => ws.terminate(), 5000);
      await this.closedPromise;
      this.clock.clearTimeout(timer);
    }
    return this.report();
  }

  /** Resolves when the socket has closed, whoever closed it. */
  async ended(): Promise<SimReport> {
    this.requireStarted();
    await this.closedPromise;
    return this.report();
  }

  /**
   * Resolves with the first matching event (past ones included unless `includePast: false`); rejects
   * on timeout or when the call ends first.
   */
  waitFor<K extends SimEventName>(name: K, options: WaitForOptions<SimEvents[K]> = {}): Promise<SimEvents[K]> {
    const predicate = options.predicate ?? (() => true);
    if (options.includePast ?? true) {
      for (const entry of this.eventLog) {
        if (entry.name === name && predicate(entry.event as SimEvents[K])) return Promise.resolve(entry.event as SimEvents[K]);
      }
    }
    if (this.closed && name !== 'closed') return Promise.reject(new Error(`call already ended; no ${name} event`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { name, predicate: predicate as (e: never) => boolean, resolve: resolve as (e: never) => void, reject, timer: undefined };
      const timeoutMs = options.timeoutMs ?? 10_000;
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = this.clock.setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name}`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** Snapshot of the call so far (final once closed). */
  report(): SimReport {
    return {
      callSid: this.callSid,
      streamSid: this.streamSid,
      accountSid: this.accountSid,
      streamUrl: this.streamUrl,
      sampleRate: this.sampleRate,
      callerFrameMs: this.frameMs,
      startShape: this.options.startShape ?? 'canonical',
      customParameters: { ...this.customParameters },
      webhook: this.webhook,
      connectMs: this.connectMs,
      handshakeAttempts: this.handshakeAttempts,
      firstBotAudioMs: this.firstBotAudioMs,
      botMedia: {
        frames: this.botFrames,
        bytes: this.botBytes,
        audioMs: (this.botAudioSamples / this.sampleRate) * 1000,
        sizeHistogram: Object.fromEntries([...this.sizeHistogram].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
        streamSidMismatches: this.streamSidMismatches,
      },
      callerMedia: { frames: this.callerFrames, audioMs: (this.callerAudioSamples / this.sampleRate) * 1000 },
      dtmfSent: this.dtmfSent.map((d) => ({ ...d })),
      marks: {
        sent: this.marks.length,
        echoed: this.marks.filter((m) => m.status === 'echoed').length,
        dropped: this.marks.filter((m) => m.status === 'dropped').length,
        records: this.marks.map((m) => ({ ...m })),
      },
      clears: this.clears.map((c) => ({ ...c, droppedMarks: c.droppedMarks.slice() })),
      pacing: this.pacing.summary(),
      violations: this.violations.slice(),
      violationCounts: { ...this.violationCounts },
      endedBy: this.endedBy,
      closeCode: this.closeCode,
      closeReason: this.closeReason,
      durationMs: this.closed ? this.durationMs : this.elapsedMs(),
      playedAudio: this.recorder.samples(),
      timeline: this.timeline.slice().sort((a, b) => a.atMs - b.atMs),
      notes: this.notes.slice(),
    };
  }

  private requireStarted(): void {
    if (!this.started) throw new Error('call not started');
  }

  private send(text: string): void {
    if (this.ws && this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }

  private emit<K extends SimEventName>(name: K, event: SimEvents[K]): void {
    this.eventLog.push({ name, event });
    for (const waiter of this.waiters) {
      if (waiter.name !== name || !(waiter.predicate as (e: SimEvents[K]) => boolean)(event)) continue;
      this.waiters.delete(waiter);
      if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
      (waiter.resolve as (e: SimEvents[K]) => void)(event);
    }
  }

  private addTimeline(text: string, atMs = this.elapsedMs()): void {
    this.timeline.push({ atMs, text });
  }

  private violate(rule: ViolationRule, message: string, frame?: number): void {
    const violation: Violation = { atMs: this.elapsedMs(), rule, message, ...(frame === undefined ? {} : { frame }) };
    this.violations.push(violation);
    const seen = this.violationCounts[rule] ?? 0;
    this.violationCounts[rule] = seen + 1;
    if (seen === 0) this.addTimeline(`violation [${rule}] ${message}`, violation.atMs);
    this.emit('violation', violation);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) {
      this.violate('binary-frame', `binary frame of ${data.length} bytes; Exotel expects JSON text frames`);
      return;
    }
    const msg = parseBotMessage(data.toString('utf8'));
    switch (msg.kind) {
      case 'media':
        if (msg.streamSid !== undefined && msg.streamSid !== this.streamSid) this.streamSidMismatches += 1;
        this.onBotMedia(msg.payload);
        return;
      case 'mark':
        this.onBotMark(msg.name);
        return;
      case 'clear':
        this.onBotClear();
        return;
      case 'unknown':
        this.violate('unknown-event', `unknown event "${msg.event}" (Exotel accepts only media, mark, clear); ignored`);
        return;
      case 'invalid':
        this.violate('invalid-message', msg.reason);
        return;
    }
  }

  private onBotMedia(payload: string): void {
    const playout = this.playout as PlayoutQueue<MarkRecord>;
    const index = this.botFrames++;
    const atMs = this.elapsedMs();
    if (!isStrictBase64(payload)) {
      this.violate('invalid-base64', `media payload is not valid base64 (${payload.length} chars); frame dropped`, index);
      this.emit('botMedia', { index, atMs, bytes: 0, durationMs: 0, aheadMs: playout.bufferedAheadMs, queued: false });
      return;
    }
    const bytes = Buffer.from(payload, 'base64');
    for (const problem of checkMediaSize(bytes.length, this.sampleRate)) this.violate(problem.rule, problem.message, index);
    this.sizeHistogram.set(bytes.length, (this.sizeHistogram.get(bytes.length) ?? 0) + 1);
    this.botBytes += bytes.length;
    // Copy into an aligned Int16Array (PCM16LE on a little-endian host); an odd trailing byte is dropped.
    const samples = new Int16Array(bytes.length >> 1);
    new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.byteLength));
    this.botAudioSamples += samples.length;
    const durationMs = (samples.length / this.sampleRate) * 1000;
    const aheadMs = playout.bufferedAheadMs;
    playout.enqueueAudio(samples);
    const burst = this.pacing.onBotFrame(atMs, bytes.length, durationMs, aheadMs);
    if (burst) {
      this.violate(
        'burst',
        `${Math.round(aheadMs + durationMs)} ms of bot audio queued ahead of real time (limit ${this.options.burstThresholdMs ?? 500} ms): send at real-time pace`,
        index,
      );
    }
    if (this.firstBotAudioMs === null && samples.length > 0) {
      this.firstBotAudioMs = atMs;
      this.addTimeline(`first bot audio frame (${bytes.length} B)`, atMs);
      this.emit('firstBotAudio', { atMs });
    }
    this.emit('botMedia', { index, atMs, bytes: bytes.length, durationMs, aheadMs, queued: samples.length > 0 });
  }

  private onBotMark(name: string): void {
    const playout = this.playout as PlayoutQueue<MarkRecord>;
    const record: MarkRecord = {
      name,
      receivedAtMs: this.elapsedMs(),
      receivedAtPlayoutMs: this.tickIndex * TICK_MS,
      queuedAheadMs: playout.bufferedAheadMs,
      status: 'pending',
    };
    this.marks.push(record);
    if (!playout.enqueueMark(record)) this.echoMark(record);
  }

  private echoMark(record: MarkRecord): void {
    this.send((this.writer as ExotelMessageWriter).markEcho(record.name));
    record.status = 'echoed';
    record.echoedAtMs = this.elapsedMs();
    record.echoedAtPlayoutMs = this.tickIndex * TICK_MS;
    this.addTimeline(`mark "${record.name}" echoed (had ${record.queuedAheadMs} ms queued ahead)`, record.echoedAtMs);
    this.emit('markEchoed', { ...record });
  }

  private onBotClear(): void {
    const { droppedMs, droppedMarks } = (this.playout as PlayoutQueue<MarkRecord>).clear();
    const clear: ClearRecord = { atMs: this.elapsedMs(), droppedMs, droppedMarks: droppedMarks.map((m) => m.name) };
    this.clears.push(clear);
    this.pacing.onReplyEnded();
    this.addTimeline(`clear: dropped ${droppedMs} ms of audio and ${droppedMarks.length} mark(s)`, clear.atMs);
    for (const mark of droppedMarks) {
      mark.status = 'dropped';
      this.emit('markDropped', { ...mark });
    }
    this.emit('clear', clear);
  }

  private onTick(k: number): void {
    this.tickIndex = k;
    const playout = this.playout as PlayoutQueue<MarkRecord>;
    const outcome = playout.tick(this.playFrame);
    this.recorder.append(this.playFrame);
    const atMs = k * TICK_MS;
    if (outcome === 'audio' && this.lastOutcome !== 'audio') {
      this.addTimeline('bot audio playing', atMs);
      this.emit('playoutStarted', { atMs });
    } else if (outcome === 'ran-dry' || outcome === 'reply-ended') {
      const endOfReply = outcome === 'reply-ended';
      if (endOfReply) this.pacing.onReplyEnded();
      else this.pacing.onRanDry(atMs);
      this.addTimeline(endOfReply ? 'bot audio finished' : 'playout ran dry (gap unless the reply was over)', atMs);
      this.emit('playoutIdle', { atMs, endOfReply });
    }
    this.lastOutcome = outcome;

    if (k > 0 && atMs % this.frameMs === 0) this.sendCallerFrame(atMs / this.frameMs, atMs);
    while (this.scheduledDtmf.length > 0 && this.scheduledDtmf[0].atMs <= atMs) {
      const d = this.scheduledDtmf.shift() as { digit: string; durationMs: number };
      this.sendDtmf(d.digit, d.durationMs);
    }
  }

  private sendCallerFrame(chunk: number, timestampMs: number): void {
    const real = this.callerQueue.read(this.callerFrame);
    const frame = this.callerFrame;
    const payload = real === 0 ? this.silenceBase64 : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
    this.send((this.writer as ExotelMessageWriter).media(chunk, timestampMs, payload));
    this.callerFrames += 1;
    this.callerAudioSamples += real;
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.frameClock?.stop();
    this.callerQueue.cancel();
    this.durationMs = this.elapsedMs();
    this.endedBy = this.hangingUp ? 'caller' : 'bot';
    this.closeCode = code;
    this.closeReason = reason;
    this.addTimeline(this.hangingUp ? `closed by caller (code ${code})` : `bot closed the socket (code ${code}${reason ? `, ${reason}` : ''})`);
    this.emit('closed', { endedBy: this.endedBy, code, reason, atMs: this.durationMs });
    for (const waiter of this.waiters) {
      if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
      waiter.reject(new Error(`call ended (${this.endedBy}, code ${code}) before ${waiter.name}`));
    }
    this.waiters.clear();
  }
}
