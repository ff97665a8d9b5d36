// Converts between the call's audio (PCM16 at 8/16/24 kHz, what Exotel streams) and the Realtime API's formats.
//
// Format choice per call rate:
// - 8 kHz: G.711 mu-law. The API's PCM is 24 kHz only, so PCM would mean resampling 8k->24k in and 24k->8k out
//   (about 100-300 filter taps per output sample and ~6 ms of filter delay each way) and 6x the bytes on the wire
//   (48 kB/s of PCM vs 8 kB/s). Mu-law costs one table lookup per sample and loses nothing audible: a PSTN call has
//   already been through G.711 on its way to Exotel.
// - 24 kHz: PCM16, passed through untouched.
// - 16 kHz (and anything else): PCM16 resampled to and from 24 kHz, which keeps the wideband audio that mu-law at
//   8 kHz would throw away.
import { pcm16ToUlaw, ulawToPcm16 } from '../../audio/g711.js';
import { createResampler, type Resampler } from '../../audio/resampler.js';
import { formatBytesPerMs, type RealtimeAudioFormat } from './realtime-session.js';

export function chooseRealtimeFormat(callRate: number): RealtimeAudioFormat {
  return callRate === 8000 ? 'g711_ulaw' : 'pcm16';
}

function growInt16(buf: Int16Array<ArrayBuffer>, n: number): Int16Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Int16Array(Math.max(n, buf.length * 2));
}

/** Caller audio (PCM16 at the call rate) to the session's input format. Reuses its buffers: use each result before the next call. */
export class RealtimeAudioEncoder {
  private readonly resampler: Resampler | undefined;
  private resampled = new Int16Array(0);
  private ulaw = new Uint8Array(0);

  constructor(
    readonly callRate: number,
    readonly format: RealtimeAudioFormat,
  ) {
    if (format !== 'pcm16' && format !== 'g711_ulaw') throw new RangeError(`unsupported realtime format ${format}`);
    if (format === 'g711_ulaw' && callRate !== 8000) throw new RangeError('mu-law needs an 8 kHz call');
    this.resampler = format === 'pcm16' && callRate !== 24_000 ? createResampler(callRate, 24_000) : undefined;
  }

  encode(pcm: Int16Array): Uint8Array {
    if (this.format === 'g711_ulaw') {
      if (this.ulaw.length < pcm.length) this.ulaw = new Uint8Array(Math.max(pcm.length, this.ulaw.length * 2));
      return pcm16ToUlaw(pcm, this.ulaw.subarray(0, pcm.length));
    }
    let out: Int16Array = pcm;
    if (this.resampler) {
      this.resampled = growInt16(this.resampled, this.resampler.maxOutputLength(pcm.length));
      out = this.resampler.process(pcm, this.resampled);
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}

/** Base64 audio deltas in the session's output format to PCM16 at the call rate. Reuses its buffers. */
export class RealtimeAudioDecoder {
  private readonly resampler: Resampler | undefined;
  private bytes = Buffer.alloc(0);
  private pcm = new Int16Array(0);
  private resampled = new Int16Array(0);
  /** Odd byte left over from a PCM16 delta (deltas need not split on sample boundaries). */
  private carry = -1;

  constructor(
    readonly callRate: number,
    readonly format: RealtimeAudioFormat,
  ) {
    if (format !== 'pcm16' && format !== 'g711_ulaw') throw new RangeError(`unsupported realtime format ${format}`);
    if (format === 'g711_ulaw' && callRate !== 8000) throw new RangeError('mu-law needs an 8 kHz call');
    this.resampler = format === 'pcm16' && callRate !== 24_000 ? createResampler(24_000, callRate) : undefined;
  }

  /** Ms of provider audio in a decoded byte count. */
  msOf(bytes: number): number {
    return bytes / formatBytesPerMs(this.format);
  }

  /** Decodes one delta; `bytes` is its size on the wire (for the provider-side audio length). */
  decode(b64: string): { pcm: Int16Array; bytes: number } {
    const need = Math.ceil((b64.length * 3) / 4) + 1;
    // Buffer.alloc (not allocUnsafe) gives the buffer its own ArrayBuffer at offset 0, so Int16 views stay aligned.
    if (this.bytes.length < need) this.bytes = Buffer.alloc(Math.max(need, this.bytes.length * 2));
    let off = 0;
    if (this.carry >= 0) {
      this.bytes[0] = this.carry;
      off = 1;
      this.carry = -1;
    }
    const written = this.bytes.write(b64, off, 'base64');
    const total = off + written;
    if (this.format === 'g711_ulaw') {
      this.pcm = growInt16(this.pcm, total);
      return { pcm: ulawToPcm16(this.bytes.subarray(0, total), this.pcm.subarray(0, total)), bytes: written };
    }
    const even = total & ~1;
    if (even < total) this.carry = this.bytes[total - 1];
    const pcm = new Int16Array(this.bytes.buffer, this.bytes.byteOffset, even >> 1);
    if (!this.resampler) return { pcm, bytes: written };
    this.resampled = growInt16(this.resampled, this.resampler.maxOutputLength(pcm.length));
    return { pcm: this.resampler.process(pcm, this.resampled), bytes: written };
  }

  /** End of one item's audio: what the resampler still holds, and a fresh state for the next item. */
  finish(): Int16Array {
    this.carry = -1;
    if (!this.resampler) return new Int16Array(0);
    return this.resampler.flush();
  }

  /** Drop state without output (barge-in). */
  reset(): void {
    this.carry = -1;
    this.resampler?.reset();
  }
}
