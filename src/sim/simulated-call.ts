import { BotSide } from './bot-side.js';
import type { CallerAudioInput } from './caller-audio.js';
import { CallerSide } from './caller-side.js';
import { CallLog, type SimEventName, type SimEvents, type WaitForOptions } from './call-log.js';
import { connectStream, streamWriter, type ConnectedStream, type SimCallOptions } from './call-setup.js';
import type { ExotelMessageWriter } from './exotel-messages.js';
import { FrameClock, realClock, type SimClock } from './frame-clock.js';
import { randomSid } from './ids.js';
import { TICK_MS } from './playout.js';
import type { EndedBy, SimReport } from './report.js';

/**
 * One call played as Exotel would, driven step by step: `start` dials, the caller side sends media and DTMF,
 * the bot side plays out and checks what the bot sends, both on one 20 ms clock; `hangup` or the bot ends it.
 */
export class SimulatedCall {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  private readonly options: SimCallOptions;
  private readonly clock: SimClock;
  private readonly frameMs: number;
  private readonly log: CallLog;
  private readonly caller: CallerSide;
  private readonly bot: BotSide;

  private stream: ConnectedStream | undefined;
  private writer: ExotelMessageWriter | undefined;
  private frameClock: FrameClock | undefined;
  private started = false;
  private closed = false;
  private hangingUp = false;
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
    const elapsedMs = () => this.elapsedMs();
    const send = (text: string) => this.send(text);
    this.log = new CallLog(this.clock, elapsedMs);
    this.caller = new CallerSide({ frameMs: this.frameMs, log: this.log, elapsedMs, send });
    this.bot = new BotSide({
      streamSid: this.streamSid,
      burstThresholdMs: options.burstThresholdMs ?? 500,
      replyGapMs: options.replyGapMs ?? 1000,
      log: this.log,
      elapsedMs,
      send,
    });
  }

  /** Stream sample rate (known once started). */
  get rate(): number {
    return this.stream?.sampleRate ?? 8000;
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
    const stream = (this.stream = await connectStream(this.options, this.callSid, this.clock));
    for (const note of stream.notes) this.log.note(note);

    const writer = (this.writer = streamWriter(this.options, { streamSid: this.streamSid, callSid: this.callSid, accountSid: this.accountSid }, stream));
    this.bot.begin(stream.sampleRate, writer);
    this.caller.begin(stream.sampleRate, writer);
    const ws = stream.ws;
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.onClose(code, reason.toString());
        resolve();
      });
    });
    ws.on('error', (err) => this.log.note(`socket error: ${err.message}`));
    ws.on('message', (data, isBinary) => {
      if (!this.closed) this.bot.onMessage(data as Buffer, isBinary);
    });
    this.frameClock = new FrameClock(TICK_MS, (k) => this.onTick(k), this.clock);
    ws.send(writer.connected());
    ws.send(writer.start());
    this.frameClock.start();
    this.log.addTimeline('start sent');
  }

  /** Queues caller speech (WAV bytes, or samples) behind earlier clips; resolves when it has all been sent. */
  sendAudio(input: CallerAudioInput): Promise<void> {
    this.requireStarted();
    return this.caller.sendAudio(input);
  }

  /** Sends a `dtmf` event now. */
  sendDtmf(digit: string, durationMs = 100): void {
    this.requireStarted();
    this.caller.sendDtmf(digit, durationMs);
  }

  /** Sends a `dtmf` event at `atMs` after `start` (on the 20 ms tick grid). */
  scheduleDtmf(digit: string, atMs: number, durationMs = 100): void {
    this.caller.scheduleDtmf(digit, atMs, durationMs);
  }

  /** Caller hangs up: `stop` (reason callended), close 1000, wait for the close. */
  async hangup(reason: 'callended' | 'stopped' = 'callended'): Promise<SimReport> {
    this.requireStarted();
    const ws = this.stream?.ws;
    if (!this.closed && ws && this.writer) {
      this.hangingUp = true;
      this.send(this.writer.stop(reason));
      this.log.addTimeline(`stop (${reason}) sent, closing 1000`);
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
    return this.log.waitFor(name, options);
  }

  /** Calls `fn` with every `name` event from now on (a script runner follows the bot's audio this way); returns the unsubscribe. */
  on<K extends SimEventName>(name: K, fn: (event: SimEvents[K]) => void): () => void {
    return this.log.on(name, fn);
  }

  /** Snapshot of the call so far (final once closed). */
  report(): SimReport {
    const log = this.log.snapshot();
    const bot = this.bot.summary();
    const caller = this.caller.summary();
    return {
      callSid: this.callSid,
      streamSid: this.streamSid,
      accountSid: this.accountSid,
      streamUrl: this.stream?.streamUrl ?? '',
      sampleRate: this.rate,
      callerFrameMs: this.frameMs,
      startShape: this.options.startShape ?? 'canonical',
      customParameters: { ...this.stream?.customParameters },
      webhook: this.stream?.webhook,
      connectMs: this.stream?.connectMs ?? 0,
      handshakeAttempts: this.stream?.handshakeAttempts ?? 0,
      firstBotAudioMs: bot.firstBotAudioMs,
      botMedia: bot.botMedia,
      callerMedia: caller.callerMedia,
      dtmfSent: caller.dtmfSent,
      marks: bot.marks,
      clears: bot.clears,
      pacing: bot.pacing,
      violations: log.violations,
      violationCounts: log.violationCounts,
      endedBy: this.endedBy,
      closeCode: this.closeCode,
      closeReason: this.closeReason,
      durationMs: this.closed ? this.durationMs : this.elapsedMs(),
      playedAudio: bot.playedAudio,
      timeline: log.timeline,
      notes: log.notes,
    };
  }

  private requireStarted(): void {
    if (!this.started) throw new Error('call not started');
  }

  private send(text: string): void {
    const ws = this.stream?.ws;
    if (ws && ws.readyState === ws.OPEN) ws.send(text);
  }

  private onTick(k: number): void {
    this.bot.tick(k);
    this.caller.tick(k, k * TICK_MS);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.frameClock?.stop();
    this.caller.stop();
    this.durationMs = this.elapsedMs();
    this.endedBy = this.hangingUp ? 'caller' : 'bot';
    this.closeCode = code;
    this.closeReason = reason;
    this.log.addTimeline(this.hangingUp ? `closed by caller (code ${code})` : `bot closed the socket (code ${code}${reason ? `, ${reason}` : ''})`);
    this.log.emit('closed', { endedBy: this.endedBy, code, reason, atMs: this.durationMs });
    this.log.end((name) => `call ended (${this.endedBy}, code ${code}) before ${name}`);
  }
}
