/**
 * Builds the Exotel -> bot messages (spec §3, §15). `canonical` is the documented shape (plus the
 * live-observed `leg_sid`); the other shapes are the variants of §15.2 for parser-tolerance tests.
 */
export type StartShape = 'canonical' | 'live' | 'numeric' | 'camel';
export const START_SHAPES: readonly StartShape[] = ['canonical', 'live', 'numeric', 'camel'];

export interface StreamIdentity {
  streamSid: string;
  callSid: string;
  legSid: string;
  accountSid: string;
  from: string;
  to: string;
  customParameters: Record<string, string>;
  sampleRate: number;
}

export class ExotelMessageWriter {
  private seq = 0;
  // Every id-bearing envelope shares this prefix; built once so the per-frame path only concatenates.
  private readonly sidField: string;

  constructor(
    private readonly id: StreamIdentity,
    private readonly shape: StartShape,
  ) {
    this.sidField = shape === 'camel' ? `"streamSid":"${id.streamSid}"` : `"stream_sid":"${id.streamSid}"`;
  }

  /** Sequence number of the last message written. */
  get sequenceNumber(): number {
    return this.seq;
  }

  private nextSeq(): string {
    this.seq += 1;
    if (this.shape === 'numeric') return `"sequence_number":${this.seq}`;
    if (this.shape === 'camel') return `"sequenceNumber":"${this.seq}"`;
    return `"sequence_number":"${this.seq}"`;
  }

  private num(n: number): string {
    return this.shape === 'numeric' ? String(n) : `"${n}"`;
  }

  connected(): string {
    return this.shape === 'camel' ? '{"event":"connected","protocol":"Call","version":"1.0.0"}' : '{"event":"connected"}';
  }

  start(): string {
    const { id } = this;
    if (this.shape === 'camel') {
      this.seq += 1; // the camelCase variant carries no sequence number but still uses one slot
      return JSON.stringify({
        event: 'start',
        streamSid: id.streamSid,
        start: {
          streamSid: id.streamSid,
          callSid: id.callSid,
          accountSid: id.accountSid,
          from: id.from,
          to: id.to,
          customParameters: id.customParameters,
          mediaFormat: { encoding: 'audio/x-raw', sampleRate: id.sampleRate },
        },
      });
    }
    const mediaFormat =
      this.shape === 'live'
        ? { encoding: 'base64', sample_rate: id.sampleRate, bit_rate: '128kbps' }
        : this.shape === 'numeric'
          ? { encoding: 'raw', sample_rate: id.sampleRate, bit_rate: '128' }
          : { encoding: 'audio/x-raw', sample_rate: String(id.sampleRate), bit_rate: '16' };
    const start = {
      stream_sid: id.streamSid,
      call_sid: id.callSid,
      leg_sid: id.legSid,
      account_sid: id.accountSid,
      from: id.from,
      to: id.to,
      custom_parameters: id.customParameters,
      media_format: mediaFormat,
    };
    return `{"event":"start",${this.nextSeq()},${this.sidField},"start":${JSON.stringify(start)}}`;
  }

  media(chunk: number, timestampMs: number, payloadBase64: string): string {
    return (
      `{"event":"media",${this.nextSeq()},${this.sidField},"media":{"chunk":${this.num(chunk)},` +
      `"timestamp":"${timestampMs}","payload":"${payloadBase64}"}}`
    );
  }

  dtmf(digit: string, durationMs: number): string {
    return `{"event":"dtmf",${this.nextSeq()},${this.sidField},"dtmf":{"digit":${JSON.stringify(digit)},"duration":${this.num(durationMs)}}}`;
  }

  markEcho(name: string): string {
    return `{"event":"mark",${this.nextSeq()},${this.sidField},"mark":{"name":${JSON.stringify(name)}}}`;
  }

  stop(reason: string): string {
    const stop = { call_sid: this.id.callSid, account_sid: this.id.accountSid, reason };
    return `{"event":"stop",${this.nextSeq()},${this.sidField},"stop":${JSON.stringify(stop)}}`;
  }
}
