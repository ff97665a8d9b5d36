// The speech engines conversational agents use, created once per process and shared by agents.
// Pool sizes decide how many syntheses/recognitions run at once (one CPU core each).
import { createPocketSphinxStt, pocketsphinxWorkerPool, type CmnMode, type LoopPass } from '../../providers/stt/pocketsphinx.js';
import { createEspeakTts, espeakWorkerPool } from '../../providers/tts/espeak.js';
import { createFliteTts, fliteWorkerPool } from '../../providers/tts/flite.js';
import type { SpeechToText, TextToSpeech } from '../../providers/types.js';
import { VoiceBank } from '../../conversation/voice-bank.js';
import type { SttSpec } from '../definition/schema.js';

export interface SpeechProviderOptions {
  /** Worker threads per TTS engine (default 2). */
  ttsPoolSize?: number;
  /** PocketSphinx decoder worker threads (default one per core; ~35 MB each, plus its decoders). */
  sttPoolSize?: number;
  /** Streaming decoders per PocketSphinx worker (default 8; ~25 MB each). */
  sttDecodersPerWorker?: number;
  /** PocketSphinx cepstral mean normalization: `batch` (default) or `live` (see pocketsphinx.worker.mjs). */
  sttCmn?: CmnMode;
  /** When PocketSphinx's confidence pass runs: `finish` (default) or `stream` (live only). */
  sttLoopPass?: LoopPass;
}

export interface SpeechProviders {
  /** TTS engines by the name definitions use. */
  readonly tts: ReadonlyMap<string, TextToSpeech>;
  /** Sentence audio over `tts`, with one cache of fixed prompts for all agents (variants share most of theirs). */
  readonly voices: VoiceBank;
  stt(spec: SttSpec): SpeechToText;
}

export function createSpeechProviders(options: SpeechProviderOptions = {}): SpeechProviders {
  const ttsPool = { size: options.ttsPoolSize };
  const tts = new Map<string, TextToSpeech>([
    ['flite', createFliteTts({ pool: fliteWorkerPool(ttsPool) })],
    ['espeak', createEspeakTts({ pool: espeakWorkerPool(ttsPool) })],
  ]);
  const sttPool = pocketsphinxWorkerPool({ size: options.sttPoolSize, decodersPerWorker: options.sttDecodersPerWorker, cmn: options.sttCmn, loopPass: options.sttLoopPass });
  return {
    tts,
    voices: new VoiceBank(tts),
    stt(spec) {
      switch (spec.provider) {
        case 'pocketsphinx':
          return createPocketSphinxStt({ pool: sttPool, minConfidence: spec.minConfidence, streaming: options.sttCmn === 'live' });
      }
    },
  };
}
