// Whole-buffer rate conversion (TTS output to the call rate, call audio
// down to a recognizer's 8 kHz, a WAV to the stream rate), over the streaming polyphase resampler.
import { createResampler } from './resampler.js';

/**
 * Converts a whole buffer of PCM16 from one rate to another, time-aligned with the input (the
 * filter's group delay is removed) and ceil(length · to / from) samples long. Always a fresh copy.
 */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input.slice();
  const resampler = createResampler(fromRate, toRate);
  const body = resampler.process(input);
  const tail = resampler.flush();
  const all = new Int16Array(body.length + tail.length);
  all.set(body);
  all.set(tail, body.length);
  return all.slice(resampler.delaySamples);
}
