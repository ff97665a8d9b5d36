// Multilingual TTS with espeak-ng (text2wav's WASM build), offline: Hindi and the other Indian
// languages espeak-ng ships, plus English. Robotic but intelligible, and 22.05 kHz native.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ProviderError } from '../errors.js';
import type { TextToSpeech, VoiceInfo } from '../types.js';
import type { SharedPoolOptions, WorkerPool } from '../worker-pool.js';
import { createOfflineTts, offlineWorkerPool, type OfflineEngine, type OfflineVoiceOptions } from './offline-voice.js';

const NATIVE_RATE = 22050;

/** Indian languages espeak-ng has voices for (id = espeak voice = ISO 639 code). */
export const ESPEAK_INDIAN_LANGUAGES: Readonly<Record<string, string>> = {
  hi: 'Hindi',
  bn: 'Bengali',
  ta: 'Tamil',
  te: 'Telugu',
  mr: 'Marathi',
  gu: 'Gujarati',
  kn: 'Kannada',
  ml: 'Malayalam',
  pa: 'Punjabi',
  or: 'Oriya',
  as: 'Assamese',
  ur: 'Urdu',
  ne: 'Nepali',
  kok: 'Konkani',
  sd: 'Sindhi',
  bpy: 'Bishnupriya Manipuri',
  si: 'Sinhala',
};

export const ESPEAK_DEFAULT_VOICE = 'hi';

interface Catalog {
  voices: VoiceInfo[];
  byId: Map<string, VoiceInfo>;
  variants: Set<string>;
}

let catalog: Catalog | undefined;

/** Reads espeak-ng-data once: every voice file under lang/ and every variant under voices/!v. */
function loadCatalog(): Catalog {
  if (catalog) return catalog;
  const data = join(dirname(createRequire(import.meta.url).resolve('text2wav')), 'espeak-ng-data');
  const voices: VoiceInfo[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const lines = readFileSync(path, 'latin1').split('\n');
        const name = lines.find((l) => l.startsWith('name '))?.slice(5).trim();
        const languages = lines.filter((l) => l.startsWith('language ')).map((l) => l.split(/\s+/)[1]!);
        voices.push({ id: entry.name, languages, nativeSampleRate: NATIVE_RATE, description: name });
      }
    }
  };
  walk(join(data, 'lang'));
  voices.sort((a, b) => a.id.localeCompare(b.id));
  const variants = new Set(readdirSync(join(data, 'voices', '!v')));
  catalog = { voices, byId: new Map(voices.map((v) => [v.id.toLowerCase(), v])), variants };
  return catalog;
}

/** All espeak-ng voices (about 100 languages); `voice` also accepts `<id>+<variant>`, e.g. `hi+f2`. */
export function espeakVoices(): readonly VoiceInfo[] {
  return loadCatalog().voices;
}

/** `defaultVoice` defaults to `hi`. */
export type EspeakOptions = OfflineVoiceOptions;

const ESPEAK: OfflineEngine = {
  name: 'espeak',
  worker: new URL('./espeak.worker.mjs', import.meta.url),
  voices: espeakVoices,
  defaultVoice: ESPEAK_DEFAULT_VOICE,
  checkVoice,
  voiceForLanguage,
};

export function espeakWorkerPool(options: SharedPoolOptions = {}): WorkerPool {
  return offlineWorkerPool(ESPEAK, options);
}

export function createEspeakTts(options: EspeakOptions = {}): TextToSpeech {
  return createOfflineTts(ESPEAK, options);
}

function checkVoice(voice: string): string {
  const { byId, variants } = loadCatalog();
  const [base = '', variant, ...rest] = voice.split('+');
  const info = byId.get(base.toLowerCase());
  if (!info || rest.length > 0 || (variant !== undefined && !variants.has(variant))) {
    throw new ProviderError('unknown-voice', `espeak-ng has no voice ${JSON.stringify(voice)} (ids like "hi", "ta", "en-US", optionally +variant like "hi+f2")`);
  }
  return variant === undefined ? info.id : `${info.id}+${variant}`;
}

/** Exact language tag first (`en-us`), then the primary subtag (`hi-IN` → `hi`). */
function voiceForLanguage(language: string): string {
  const { voices } = loadCatalog();
  const tag = language.toLowerCase();
  const primary = tag.split('-')[0];
  const match =
    voices.find((v) => v.languages.includes(tag)) ??
    voices.find((v) => v.id.toLowerCase() === primary) ??
    voices.find((v) => v.languages.includes(primary!));
  if (!match) throw new ProviderError('unsupported-language', `espeak-ng has no voice for language ${JSON.stringify(language)}`);
  return match.id;
}
