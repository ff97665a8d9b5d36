// The offline agent the cascade end-to-end tests fall back on, and the caller's lines they speak (flite, cached:
// synthesized up front, since flite runs on the test's thread and blocking it mid-call would stall the caller's
// frame clock).
import type { CascadeAgentOptions } from '../../src/agent/kinds/cascade.js';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import type { SpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { concat, silence, synthesize } from './speech.js';

export const OFFLINE_DESK = `
name: offline-desk
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: Hello.
prompts: { fallback: I can tell you our opening hours., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Anything else? }
intents:
  - { name: opening-hours, examples: [what are your opening hours, where is my order], reply: We are open from nine to five. }
`;

/** The cascade's `fallback`: the offline desk's brain, flite's kal voice, PocketSphinx. */
export function offlineDesk(speech: SpeechProviders): NonNullable<CascadeAgentOptions['fallback']> {
  const definition = parseAgentDefinition(OFFLINE_DESK, 'offline-desk.yaml');
  return { voices: speech.voices, voice: { provider: 'flite', voice: 'kal' }, brain: new IntentBrain(definition), stt: speech.stt({ provider: 'pocketsphinx', minConfidence: 0.3 }) };
}

const clips = new Map<string, Promise<Int16Array>>();

/** `text` in flite's rms voice at `rate`, with 300 ms of silence after it. */
export function callerLine(text: string, rate: number): Promise<Int16Array> {
  const key = `${rate}:${text}`;
  if (!clips.has(key)) clips.set(key, synthesize(text, rate, 'rms').then((s) => concat(s, silence(300, rate))));
  return clips.get(key)!;
}
