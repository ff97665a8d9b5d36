// The caller's audio in the session's input format, with the last second kept for a session that opens late or
// replaces another (so the start of what the caller said is not lost in the switch).
import { pcm16ToUlaw } from '../../../audio/g711.js';
import { RealtimeAudioEncoder } from '../../../providers/realtime/realtime-audio.js';
import type { RealtimeAudioFormat } from '../../../providers/realtime/realtime-session.js';
import { AudioRing } from '../../../conversation/audio-ring.js';

const RING_MS = 1000;
/** The API's PCM rate. */
const PCM_RATE = 24_000;

export class CallerAudio {
  private readonly encoder: RealtimeAudioEncoder;
  /**
   * PCM16 at the session's input rate, after any resampling: what was sent can be rebuilt from it exactly (mu-law
   * companding has no state), while a second resampler over the call's audio would not join up with the first.
   */
  private readonly ring: AudioRing;

  constructor(
    callRate: number,
    private readonly format: RealtimeAudioFormat,
  ) {
    this.encoder = new RealtimeAudioEncoder(callRate, format);
    this.ring = new AudioRing(format === 'pcm16' ? PCM_RATE : callRate, RING_MS);
  }

  /** Encodes one frame of the call's audio and keeps it; the result is valid until the next call. */
  encode(pcm: Int16Array): Uint8Array {
    const bytes = this.encoder.encode(pcm);
    // PCM16 bytes come from an Int16Array, so the view is aligned.
    this.ring.write(this.format === 'pcm16' ? new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1) : pcm);
    return bytes;
  }

  /** The newest `ms` (at most a second, or what there is), oldest first, as sent. */
  recent(ms: number = RING_MS): Uint8Array {
    const end = this.ring.endMs;
    const pcm = this.ring.slice(end - ms, end);
    return this.format === 'pcm16' ? new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength) : pcm16ToUlaw(pcm);
  }
}
