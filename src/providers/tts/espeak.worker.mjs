// espeak-ng (text2wav's Emscripten build) in a worker thread. The WASM is compiled once per
// worker; each job runs the espeak-ng command line in a fresh module instance (its main() is not
// re-entrant), reading the text from and writing the WAVE file to the instance's in-memory FS.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { serve, providerError } from '../worker-host.mjs';
import { readWavPcm16 } from './wav.mjs';

const require = createRequire(import.meta.url);
const libDir = join(dirname(require.resolve('text2wav')), 'lib');
const createEspeak = require(join(libDir, 'espeak-ng.js'));
const wasm = await WebAssembly.compile(readFileSync(join(libDir, 'espeak-ng.wasm')));
/** The last job's instance memory (each job has its own instance, garbage once the job is done). */
let lastMemoryBytes = 0;

/** espeak-ng's default rate (words per minute), which `speed` scales. */
const DEFAULT_WPM = 175;

function run(text, voice, speed) {
  // Every instance adds process-level listeners (Emscripten's Node glue); drop them afterwards.
  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const removeAdded = () => {
    for (const [event, kept] of Object.entries(before)) {
      for (const l of process.listeners(event)) if (!kept.includes(l)) process.removeListener(event, l);
    }
  };
  return new Promise((resolve, reject) => {
    const messages = [];
    let status = 0;
    const mod = {
      arguments: ['-v', voice, ...(typeof speed === 'number' && speed > 0 ? ['-s', String(Math.round(DEFAULT_WPM * speed))] : []), '-w', '/out.wav', '-f', '/in.txt'],
      print: (line) => messages.push(line),
      printErr: (line) => messages.push(line),
      // Replaces the glue's process.exit(): record espeak's exit status instead.
      quit: (code) => {
        status = code;
      },
      instantiateWasm: (imports, receive) => {
        WebAssembly.instantiate(wasm, imports).then((instance) => receive(instance), reject);
        return {};
      },
      preRun: [() => mod.FS.writeFile('/in.txt', text)],
      postRun: [
        () => {
          try {
            if (status !== 0) {
              const why = messages.find((m) => /error/i.test(m)) ?? messages[0] ?? 'no message';
              throw providerError('engine-failed', `espeak-ng exited with status ${status}: ${why}`);
            }
            lastMemoryBytes = mod.HEAPU8.byteLength;
            resolve(readWavPcm16(mod.FS.readFile('/out.wav')));
          } catch (err) {
            reject(err);
          }
        },
      ],
    };
    try {
      createEspeak(mod);
    } catch (err) {
      reject(err);
    }
  }).finally(removeAdded);
}

// `speed` (optional, e.g. 1.25 = a quarter faster) is for simulated callers; the agent's own voice never sets it.
serve(async ({ text, voice, speed }) => {
  const { samples, sampleRate } = await run(text, voice, speed);
  return { result: { samples, sampleRate }, transfer: [samples.buffer] };
}, { wasmBytes: () => lastMemoryBytes });
