// The wiring every offline voice shares: its process-wide worker pool, the options a deployment sets (default
// voice, pool size, queue bound), and the order a request's voice is chosen in (an explicit voice, checked; else
// one for the language; else the default). An engine file holds only its catalogue and those two rules.
import type { SynthesisOptions, TextToSpeech, VoiceInfo } from '../types.js';
import { WorkerPool, sharedWorkerPool, type SharedPoolOptions } from '../worker-pool.js';
import { PooledTextToSpeech } from './pooled-tts.js';

export interface OfflineVoiceOptions {
  /** Voice used when a request names neither voice nor language (the engine's default otherwise). */
  defaultVoice?: string;
  /** A pool running the engine's worker; default: the process-wide pool of that engine. */
  pool?: WorkerPool;
  /** Size of the process-wide pool when this call creates it (default 2). */
  poolSize?: number;
  maxQueue?: number;
}

export interface OfflineEngine {
  name: string;
  /** The worker script (a WorkerPool job: `{ text, voice }` -> `{ samples, sampleRate }`). */
  worker: URL;
  voices(): readonly VoiceInfo[];
  defaultVoice: string;
  /** The engine's id for a requested voice; throws ProviderError `unknown-voice`. */
  checkVoice(voice: string): string;
  /** The voice for a language tag when no voice was asked for; throws ProviderError `unsupported-language`. */
  voiceForLanguage(language: string, defaultVoice: string): string;
}

/** The engine's process-wide pool (created on first use). */
export function offlineWorkerPool(engine: OfflineEngine, options: SharedPoolOptions = {}): WorkerPool {
  return sharedWorkerPool({ name: engine.name, script: engine.worker, ...options });
}

export function createOfflineTts(engine: OfflineEngine, options: OfflineVoiceOptions = {}): TextToSpeech {
  const defaultVoice = engine.checkVoice(options.defaultVoice ?? engine.defaultVoice);
  const pool = options.pool ?? offlineWorkerPool(engine, { size: options.poolSize, maxQueue: options.maxQueue });
  return new PooledTextToSpeech({
    name: engine.name,
    pool,
    voices: engine.voices(),
    resolveVoice(o: Pick<SynthesisOptions, 'voice' | 'language'>): string {
      if (o.voice !== undefined) return engine.checkVoice(o.voice);
      if (o.language !== undefined) return engine.voiceForLanguage(o.language, defaultVoice);
      return defaultVoice;
    },
  });
}
