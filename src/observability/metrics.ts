import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Gateway metrics. Per-frame counts are plain numbers bumped by sessions (no label lookups on the media
 * path); Prometheus reads them when scraped.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  framesIn = 0;
  framesOut = 0;
  underruns = 0;
  /** Media sockets closed for sending no `start` (nor media) in time. */
  wsStartTimeouts = 0;
  readonly badMessages = new Map<string, number>();
  readonly callsEnded = new Map<string, number>();
  readonly providerFailures: Counter<'provider' | 'code'>;
  activeCalls = 0;

  readonly authRejections: Counter<'reason'>;
  readonly webhookDuration: Histogram<'route'>;
  readonly callsStarted: Counter;
  readonly turnLatency: Histogram<'stage'>;
  readonly controlRequests: Counter<'action' | 'outcome'>;
  readonly recordingFailures: Counter<'stage'>;
  readonly recordingsSaved: Counter;
  readonly recordingsSwept: Counter<'reason'>;

  constructor(defaults = true) {
    const r = this.registry;
    if (defaults) collectDefaultMetrics({ register: r, prefix: 'exovoice_process_' });
    const self = this;
    new Gauge({ name: 'exovoice_active_calls', help: 'Media streams currently open', registers: [r], collect() { this.set(self.activeCalls); } });
    if (defaults) {
      // prom-client reports heap and external memory but not ArrayBuffers (audio Buffers, WebSocket frames), part of external.
      new Gauge({ name: 'exovoice_process_nodejs_array_buffers_bytes', help: "Memory of the main thread's ArrayBuffers and Buffers", registers: [r], collect() { this.set(process.memoryUsage().arrayBuffers); } });
    }
    new Counter({ name: 'exovoice_frames_in_total', help: 'Media frames received from Exotel', registers: [r], collect() { setCounter(this, self.framesIn); } });
    new Counter({ name: 'exovoice_frames_out_total', help: 'Media frames sent to Exotel', registers: [r], collect() { setCounter(this, self.framesOut); } });
    new Counter({ name: 'exovoice_outbound_underruns_total', help: 'Times the caller-side playout ran dry in the middle of an utterance', registers: [r], collect() { setCounter(this, self.underruns); } });
    new Counter({ name: 'exovoice_ws_start_timeouts_total', help: 'Media sockets closed for sending no start in time', registers: [r], collect() { setCounter(this, self.wsStartTimeouts); } });
    new Counter({
      name: 'exovoice_bad_messages_total',
      help: 'Inbound WebSocket messages rejected or repaired, by reason',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        setLabelled(this, self.badMessages);
      },
    });
    new Counter({
      name: 'exovoice_calls_ended_total',
      help: 'Calls ended, by reason',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        setLabelled(this, self.callsEnded);
      },
    });
    this.callsStarted = new Counter({ name: 'exovoice_calls_started_total', help: 'Media streams accepted', registers: [r] });
    this.authRejections = new Counter({ name: 'exovoice_auth_rejections_total', help: 'Requests refused for bad or missing credentials', labelNames: ['reason'], registers: [r] });
    this.turnLatency = new Histogram({
      name: 'exovoice_turn_latency_seconds',
      help: 'Time from the end of the caller\'s speech to each stage of the reply',
      labelNames: ['stage'],
      buckets: [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
      registers: [r],
    });
    this.providerFailures = new Counter({
      name: 'exovoice_provider_failures_total',
      help: 'Cloud provider failures during calls (retried or not), by provider and error code',
      labelNames: ['provider', 'code'],
      registers: [r],
    });
    this.recordingFailures = new Counter({
      name: 'exovoice_recording_failures_total',
      help: 'Call recordings that stopped because of an error (the call went on unrecorded), by stage',
      labelNames: ['stage'],
      registers: [r],
    });
    this.recordingsSaved = new Counter({ name: 'exovoice_recordings_saved_total', help: 'Call recordings completed and kept', registers: [r] });
    this.recordingsSwept = new Counter({
      name: 'exovoice_recordings_swept_total',
      help: 'Recordings deleted by the sweeper, by reason (expired, over-cap, stale partial file)',
      labelNames: ['reason'],
      registers: [r],
    });
    this.controlRequests = new Counter({
      name: 'exovoice_control_requests_total',
      help: 'Live-call control requests (POST /calls/:id/...), by action and outcome',
      labelNames: ['action', 'outcome'],
      registers: [r],
    });
    this.webhookDuration = new Histogram({
      name: 'exovoice_webhook_duration_seconds',
      help: 'Server time spent answering the Voicebot webhook',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [r],
    });
  }

  badMessage(reason: string): void {
    this.badMessages.set(reason, (this.badMessages.get(reason) ?? 0) + 1);
  }

  callEnded(reason: string): void {
    this.callsEnded.set(reason, (this.callsEnded.get(reason) ?? 0) + 1);
  }
}

/** prom-client counters only go up by `inc`; bring one to an absolute value we track ourselves. */
function setCounter(c: Counter<string>, value: number): void {
  c.reset();
  c.inc(value);
}

function setLabelled(c: Counter<'reason'>, values: Map<string, number>): void {
  c.reset();
  for (const [reason, n] of values) c.inc({ reason }, n);
}

/** `exovoice_node_info{node_id="…"} 1`: which fleet node (or cluster worker) a scrape reached. */
export function registerNodeInfo(registry: Registry, nodeId: string): void {
  new Gauge({ name: 'exovoice_node_info', help: 'This node\'s id in the fleet (value always 1)', labelNames: ['node_id'], registers: [registry] }).set(
    { node_id: nodeId },
    1,
  );
}
