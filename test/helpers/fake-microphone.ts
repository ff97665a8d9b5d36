// A WAV for Chromium's fake microphone (--use-file-for-fake-audio-capture): the offline voice asking a question
// after the agent's greeting has had time to play, then quiet while the agent answers (Chromium loops the file).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWav } from '../../src/audio/wav.js';
import { concat, silence, synthesize } from './speech.js';

const RATE = 16_000;

/** Writes the WAV to a fresh temporary directory and returns its path. */
export async function fakeMicrophoneWav(text: string, { leadMs = 7000, tailMs = 10_000 } = {}): Promise<string> {
  const speech = await synthesize(text, RATE, 'rms');
  const file = join(mkdtempSync(join(tmpdir(), 'exovoice-mic-')), 'caller.wav');
  writeFileSync(file, writeWav(concat(silence(leadMs, RATE), speech, silence(tailMs, RATE)), RATE));
  return file;
}

/** Chromium's flags for a fake microphone fed from `wav`, allowed without a permission prompt. */
export function fakeMicrophoneArgs(wav: string): string[] {
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`];
}
