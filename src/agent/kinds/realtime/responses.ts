// The model's responses on their way to the caller: one response.create at a time, each audio item into the call's
// playout (its start held back to a whole frame) and ended with a mark, what the caller heard of it, and a barge-in
// that stops the audio, cancels the response and truncates the model's items at what was heard.
import { bytesPerMs, defaultFrameBytes } from '../../../exotel/frame-rules.js';
import { RealtimeAudioDecoder } from '../../../providers/realtime/realtime-audio.js';
import type { ServerEventOf } from '../../../providers/realtime/realtime-events.js';
import { PlayoutLedger, heardPrefix, type LedgerItem } from '../../../providers/realtime/playout-ledger.js';
import type { CallControl } from '../../../conversation/call-contract.js';
import type { RealtimeSessions } from './sessions.js';
import type { RealtimeTranscript } from './transcript.js';

export interface ToolRun {
  callId: string;
  name: string;
  output: string;
}

export interface ResponseState {
  id: string;
  items: LedgerItem[];
  /** Function names by call id, from the output items (the arguments event may leave the name out). */
  callNames: Map<string, string>;
  toolRuns: Array<Promise<ToolRun>>;
  cancelled: boolean;
  /** This response is the goodbye / hand-over line: hang up once it played. */
  closing: boolean;
}

/** Time from the caller's turn (or our request) to the first audio, as records. */
interface Latency {
  trigger: 'speech-end' | 'request';
  at: number;
  delta: boolean;
  play: boolean;
  mark: boolean;
}

export class RealtimeResponses {
  private readonly rate: number;
  private readonly decoder: RealtimeAudioDecoder;
  private readonly ledger: PlayoutLedger;
  private readonly frameSamples: number;
  private readonly responses = new Map<string, ResponseState>();
  private activeResponse: ResponseState | undefined;
  private pendingCreate: { params: Record<string, unknown> | undefined; closing: boolean } | undefined;
  private closingRequested = false;
  private prebuffer: { item: LedgerItem; chunks: Int16Array[]; samples: number } | undefined;
  /** Settles when the item's end mark came back (or was given up on). */
  private readonly markOf = new Map<LedgerItem, Promise<void>>();
  private readonly interrupted = new Set<string>();
  private latency: Latency | undefined;
  private markSeq = 0;

  constructor(
    private readonly call: CallControl,
    private readonly sessions: RealtimeSessions,
    private readonly transcript: RealtimeTranscript,
  ) {
    this.rate = call.info.sampleRate;
    this.decoder = new RealtimeAudioDecoder(this.rate, sessions.audioFormat);
    const frameMs = defaultFrameBytes(this.rate) / bytesPerMs(this.rate);
    this.ledger = new PlayoutLedger(frameMs);
    this.frameSamples = (frameMs * this.rate) / 1000;
  }

  /** The model is answering. */
  get answering(): boolean {
    return this.activeResponse !== undefined;
  }

  /** Something of the model's is being said or still to be heard: the caller speaking now cuts it off. */
  get audible(): boolean {
    return this.activeResponse !== undefined || this.prebuffer !== undefined || this.ledger.unfinished().length > 0;
  }

  /** Nothing is being said or heard, nor asked for. */
  get idle(): boolean {
    return this.activeResponse === undefined && this.pendingCreate === undefined && this.prebuffer === undefined && this.ledger.unfinished().length === 0;
  }

  get(id: string): ResponseState | undefined {
    return this.responses.get(id);
  }

  /** response.create now, or once the response in progress is done (the API allows one at a time). */
  request(params: Record<string, unknown> | undefined, closing = false): void {
    if (this.activeResponse !== undefined) {
      this.pendingCreate = { params, closing };
      return;
    }
    this.closingRequested = closing;
    if (!this.latency || this.latency.trigger !== 'speech-end' || this.latency.delta) {
      this.latency = { trigger: 'request', at: performance.now(), delta: false, play: false, mark: false };
    }
    this.sessions.conn?.createResponse(params);
  }

  /** The caller's turn ended: latency counts from here. */
  callerDone(): void {
    this.latency = { trigger: 'speech-end', at: performance.now(), delta: false, play: false, mark: false };
  }

  created(id: string | undefined): void {
    const state: ResponseState = { id: id ?? `local-${++this.markSeq}`, items: [], callNames: new Map(), toolRuns: [], cancelled: false, closing: this.closingRequested };
    this.closingRequested = false;
    this.responses.set(state.id, state);
    this.activeResponse = state;
  }

  audioDelta(e: ServerEventOf<'response.output_audio.delta'>): void {
    const response = this.responses.get(e.response_id);
    if (!response || response.cancelled || this.interrupted.has(e.item_id)) return; // in flight when we cancelled
    let item = this.ledger.get(e.item_id);
    if (!item) item = this.startItem(response, e.item_id, e.content_index);
    const { pcm, bytes } = this.decoder.decode(e.delta);
    item.providerMs += this.decoder.msOf(bytes);
    this.noteLatency('delta');
    if (this.prebuffer?.item === item) {
      this.prebuffer.chunks.push(pcm.slice());
      this.prebuffer.samples += pcm.length;
      if (this.prebuffer.samples >= this.frameSamples) this.flushPrebuffer();
      return;
    }
    this.play(item, pcm);
  }

  audioDone(itemId: string): void {
    const item = this.ledger.get(itemId);
    if (!item || item.closed || this.interrupted.has(itemId)) return;
    this.closeItem(item);
  }

  transcriptDelta(itemId: string, delta: string): void {
    const item = this.ledger.get(itemId);
    if (!item || this.interrupted.has(itemId)) return;
    item.transcript += delta;
  }

  transcriptDone(itemId: string, transcript: string): void {
    if (this.interrupted.has(itemId)) return;
    const item = this.ledger.get(itemId);
    if (item) item.transcript = transcript;
    this.transcript.text(itemId, transcript);
  }

  /** response.done: items without an output_audio.done (cancelled, failed) end here. Returns the finished response. */
  done(e: ServerEventOf<'response.done'>): ResponseState | undefined {
    const id = e.response.id ?? this.activeResponse?.id;
    const response = id ? this.responses.get(id) : undefined;
    if (response && this.activeResponse === response) this.activeResponse = undefined;
    if (e.response.status === 'failed' || e.response.status === 'incomplete') this.call.record('realtime.response-failed', { status: e.response.status, details: e.response.status_details });
    for (const item of response?.items ?? []) if (!item.closed && !this.interrupted.has(item.itemId)) this.closeItem(item);
    if (response) this.responses.delete(response.id);
    return response;
  }

  /** Sends the response.create that waited for the one in progress, once none is. */
  sendPending(): void {
    if (!this.pendingCreate || this.activeResponse !== undefined) return;
    const next = this.pendingCreate;
    this.pendingCreate = undefined;
    this.request(next.params, next.closing);
  }

  /** Settles once the response's audio played out (its marks came back). */
  playedOut(response: ResponseState): Promise<unknown> {
    return Promise.all(response.items.map((i) => this.markOf.get(i) ?? Promise.resolve()));
  }

  /** The session's responses are gone: audio already queued plays on, items end where their audio ended. */
  abandon(): void {
    if (this.prebuffer) this.flushPrebuffer();
    for (const item of this.ledger.unfinished()) if (!item.closed) this.closeItem(item);
    this.activeResponse = undefined;
    this.pendingCreate = undefined;
    this.responses.clear();
  }

  /** The caller talks over the bot: stop the audio, cancel the reply, tell the model what was heard. */
  bargeIn(source: 'server' | 'local'): void {
    const conn = this.sessions.conn;
    const playedMs = this.call.playedMs();
    const report: Array<{ itemId: string; heardMs: number; providerMs: number }> = [];
    if (this.ledger.unfinished().some((i) => i.startMs !== null)) this.call.clear();
    const response = this.activeResponse;
    if (response && !response.cancelled) {
      response.cancelled = true;
      conn?.cancelResponse(response.id);
    }
    for (const item of this.ledger.unfinished()) {
      const heardMs = Math.floor(this.ledger.heardMs(item, playedMs));
      if (item.closed && heardMs >= Math.floor(item.providerMs)) continue; // played out, its mark just not back yet
      report.push({ itemId: item.itemId, heardMs, providerMs: Math.round(item.providerMs) });
      conn?.truncate(item.itemId, item.contentIndex, heardMs);
      this.interrupted.add(item.itemId);
      this.transcript.interrupted(item.itemId, item.transcript, heardPrefix(item.transcript, item.providerMs > 0 ? heardMs / item.providerMs : 0));
    }
    this.prebuffer = undefined;
    this.decoder.reset();
    this.ledger.cleared(playedMs);
    this.call.record('barge-in', { source, playedMs: Math.round(playedMs), items: report });
  }

  private startItem(response: ResponseState, itemId: string, contentIndex: number): LedgerItem {
    const item = this.ledger.add(itemId, contentIndex);
    response.items.push(item);
    this.transcript.agentItem(itemId);
    // Hold the start of each item until a whole outgoing frame is there: a short first delta would otherwise be
    // padded with silence by the media pacer (a gap right after the first syllable).
    this.prebuffer = { item, chunks: [], samples: 0 };
    return item;
  }

  private flushPrebuffer(): void {
    const pre = this.prebuffer;
    if (!pre) return;
    this.prebuffer = undefined;
    for (const chunk of pre.chunks) this.play(pre.item, chunk);
  }

  private play(item: LedgerItem, pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.ledger.queued(item, (pcm.length / this.rate) * 1000, this.call.playedMs());
    this.call.play(pcm);
    this.noteLatency('play');
  }

  /** No more audio for this item: play what is held back, end it with a mark. */
  private closeItem(item: LedgerItem): void {
    if (this.prebuffer?.item === item) this.flushPrebuffer();
    this.play(item, this.decoder.finish());
    this.ledger.closed(item);
    if (item.startMs === null) {
      this.ledger.heardAll(item);
      return;
    }
    const name = `rt-${++this.markSeq}`;
    const marked = this.call.mark(name).then((result) => {
      this.markOf.delete(item);
      if (result.outcome !== 'played' && result.outcome !== 'timeout') return;
      this.ledger.heardAll(item);
      this.noteLatency('mark');
      if (!this.interrupted.has(item.itemId)) this.transcript.ended(item.itemId);
      this.ledger.prune();
    });
    this.markOf.set(item, marked);
  }

  private noteLatency(stage: 'delta' | 'play' | 'mark'): void {
    const l = this.latency;
    if (!l || l[stage]) return;
    if (stage !== 'delta' && !l.delta) return;
    l[stage] = true;
    const type = stage === 'delta' ? 'realtime.first-delta' : stage === 'play' ? 'realtime.first-play' : 'realtime.first-mark';
    this.call.record(type, { trigger: l.trigger, sinceMs: Math.round((performance.now() - l.at) * 10) / 10 });
  }
}
