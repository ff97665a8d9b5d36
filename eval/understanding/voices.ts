// The simulated callers: offline voices from npm (flite's and espeak-ng's English voices) at two speaking
// rates, and the non-speech sounds, each put through the telephone channel at a seeded SNR.
import { fliteWorkerPool } from '../../src/providers/tts/flite.js';
import { espeakWorkerPool } from '../../src/providers/tts/espeak.js';
import type { WorkerPool } from '../../src/providers/worker-pool.js';
import { gaussianNoise, bandPass, telephoneChannel, TELEPHONE_RATE, type TelephoneChannelOptions } from '../../src/sim/telephone-channel.js';
import type { Sound } from './corpus.js';

export interface CallerVoice {
  /** `flite:rms`, `espeak:en-US+f2`... */
  id: string;
  engine: 'flite' | 'espeak';
  voice: string;
}

/**
 * The caller voices. flite's slt is left out: it is the front desk's own voice, and a recogniser tuned on the
 * agent's voice would flatter itself. espeak-ng has no Indian English voice; en-US, British and Scottish
 * English and two of its variants stand in.
 */
export const CALLER_VOICES: readonly CallerVoice[] = [
  { id: 'flite:rms', engine: 'flite', voice: 'rms' },
  { id: 'flite:awb', engine: 'flite', voice: 'awb' },
  { id: 'flite:kal16', engine: 'flite', voice: 'kal16' },
  { id: 'espeak:en-US', engine: 'espeak', voice: 'en-US' },
  { id: 'espeak:en', engine: 'espeak', voice: 'en' },
  { id: 'espeak:en-GB-scotland', engine: 'espeak', voice: 'en-GB-scotland' },
  { id: 'espeak:en-US+f2', engine: 'espeak', voice: 'en-US+f2' },
];

/** Speaking rates: the engine's own, and a quarter faster (callers who know what they want). */
export const SPEEDS = [1, 1.25] as const;

export const QUICK_VOICES = ['flite:rms', 'espeak:en-US'];

export function voiceById(id: string): CallerVoice {
  const v = CALLER_VOICES.find((c) => c.id === id);
  if (!v) throw new Error(`no caller voice ${id} (voices: ${CALLER_VOICES.map((c) => c.id).join(', ')})`);
  return v;
}

const pools = new Map<string, WorkerPool>();
function poolFor(engine: CallerVoice['engine']): WorkerPool {
  let pool = pools.get(engine);
  if (!pool) pools.set(engine, (pool = engine === 'flite' ? fliteWorkerPool() : espeakWorkerPool()));
  return pool;
}

/** `text` in `voice` at `speed` (the engine's native rate). */
export async function speak(text: string, voice: CallerVoice, speed: number): Promise<{ samples: Int16Array; sampleRate: number }> {
  return poolFor(voice.engine).run<{ samples: Int16Array; sampleRate: number }>({ text, voice: voice.voice, speed });
}

/** FNV-1a: a stable seed from a name, so each utterance and condition has its own repeatable noise. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A non-speech sound at 8 kHz, before the channel (which adds the line noise to it). */
export function renderSound(s: Sound, seed: number): Int16Array {
  const n = Math.round((s.ms * TELEPHONE_RATE) / 1000);
  const one = new Float64Array(n);
  if (s.sound === 'tone') {
    for (let i = 0; i < n; i++) one[i] = 6000 * Math.sin((2 * Math.PI * s.hz * i) / TELEPHONE_RATE);
  } else if (s.sound === 'noise') {
    const g = gaussianNoise(n, seed);
    for (let i = 0; i < n; i++) one[i] = 3000 * g[i];
  } else if (s.sound === 'cough') {
    // A cough: a band-limited noise burst with a sharp onset and a fast exponential decay.
    const g = bandPass(gaussianNoise(n, seed), TELEPHONE_RATE, 300, 2500);
    for (let i = 0; i < n; i++) one[i] = 12_000 * g[i] * Math.min(1, i / 80) * Math.exp(-i / (n / 4));
  }
  const gap = Math.round(0.25 * TELEPHONE_RATE);
  const out = new Int16Array(s.repeat * n + (s.repeat - 1) * gap);
  for (let r = 0; r < s.repeat; r++) {
    for (let i = 0; i < n; i++) out[r * (n + gap) + i] = Math.max(-32768, Math.min(32767, Math.round(one[i])));
  }
  return out;
}

export interface ChannelChoice {
  /** SNRs drawn from (uniformly, seeded per utterance); null = no noise. */
  snrDb: readonly [number, number] | null;
  codec: NonNullable<TelephoneChannelOptions['codec']>;
}

export const DEFAULT_CHANNEL: ChannelChoice = { snrDb: [20, 30], codec: 'ulaw' };

/** `samples` over the line: 8 kHz, band-limited, noise at a seeded SNR in the range, the codec; 400 ms of lead-in. */
export function overTheLine(samples: Int16Array, sampleRate: number, channel: ChannelChoice, seed: number): { samples: Int16Array; snrDb: number | null } {
  const snrDb = channel.snrDb === null ? null : Math.round((channel.snrDb[0] + ((seed % 1001) / 1000) * (channel.snrDb[1] - channel.snrDb[0])) * 10) / 10;
  // Silence before the speech: the line's noise is there before the caller speaks, as on a real call.
  const padded = new Int16Array(Math.round(0.4 * sampleRate) + samples.length + Math.round(0.2 * sampleRate));
  padded.set(samples, Math.round(0.4 * sampleRate));
  return { samples: telephoneChannel(padded, sampleRate, { snrDb, seed, codec: channel.codec }), snrDb };
}
