/**
 * Exotel's rules for bot -> Exotel audio (protocol spec §5.3): PCM16LE payloads of 3200..100000 bytes in
 * multiples of 320 bytes. Exotel's "3.2k [100ms data]" is ambiguous (3200 B is 200 ms at 8 kHz), so we
 * satisfy both readings: at least 3200 bytes AND at least 100 ms.
 */
export const FRAME_ALIGN_BYTES = 320;
export const MIN_FRAME_BYTES = 3200;
export const MAX_FRAME_BYTES = 100_000;
export const MIN_FRAME_MS = 100;

export function bytesPerMs(sampleRate: number): number {
  return (sampleRate * 2) / 1000;
}

/** The smallest legal outgoing frame at this rate: 3200 B at 8 and 16 kHz, 4800 B at 24 kHz. */
export function defaultFrameBytes(sampleRate: number): number {
  const for100ms = Math.ceil((MIN_FRAME_MS * bytesPerMs(sampleRate)) / FRAME_ALIGN_BYTES) * FRAME_ALIGN_BYTES;
  return Math.max(MIN_FRAME_BYTES, for100ms);
}

/** Validates a configured frame size; returns a reason when it breaks a rule. */
export function checkFrameBytes(bytes: number, sampleRate: number): string | undefined {
  if (!Number.isInteger(bytes) || bytes % FRAME_ALIGN_BYTES !== 0) return `must be a multiple of ${FRAME_ALIGN_BYTES} bytes`;
  if (bytes < MIN_FRAME_BYTES) return `must be at least ${MIN_FRAME_BYTES} bytes`;
  if (bytes > MAX_FRAME_BYTES) return `must be at most ${MAX_FRAME_BYTES} bytes`;
  if (bytes / bytesPerMs(sampleRate) < MIN_FRAME_MS) return `must hold at least ${MIN_FRAME_MS} ms of audio at ${sampleRate} Hz`;
  return undefined;
}
