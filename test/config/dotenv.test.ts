import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadDotEnv, MAX_DOTENV_BYTES } from '../../src/config/env.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'exovoice-dotenv-'));
}

test('.env fills unset variables only; a missing file is fine', () => {
  const dir = tmp();
  try {
    const path = join(dir, '.env');
    writeFileSync(path, '# comment\nPORT=9999\nexport LOG_LEVEL="debug"\nEMPTY=\n');
    const env: NodeJS.ProcessEnv = { PORT: '8081' };
    assert.equal(loadDotEnv(path, env), true);
    assert.deepEqual(env, { PORT: '8081', LOG_LEVEL: 'debug', EMPTY: '' });
    assert.equal(loadDotEnv(join(dir, 'absent.env'), env), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a .env over 64 KB, or one that is not a file, is a ConfigError naming it', () => {
  assert.equal(MAX_DOTENV_BYTES, 64 * 1024);
  const dir = tmp();
  try {
    const big = join(dir, 'big.env');
    writeFileSync(big, `A=${'x'.repeat(MAX_DOTENV_BYTES)}\n`);
    const env: NodeJS.ProcessEnv = {};
    assert.throws(() => loadDotEnv(big, env), (err: unknown) => err instanceof ConfigError && err.message.includes(`${big}: `) && /more than the 65536/.test(err.message));
    assert.deepEqual(env, {}, 'nothing is loaded from a refused file');
    const folder = join(dir, 'folder.env');
    mkdirSync(folder);
    assert.throws(() => loadDotEnv(folder, env), (err: unknown) => err instanceof ConfigError && err.message.includes(`${folder}: not a regular file`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exovoice serve with an oversized .env exits 1 with one line naming it, no stack trace', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, '.env'), `A=${'x'.repeat(MAX_DOTENV_BYTES)}\n`);
    const child = spawn(process.execPath, [resolve('bin/exovoice.js'), 'serve'], { cwd: dir, env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 1, out);
    assert.match(out, /^exovoice: invalid configuration: \.env: \d+ bytes, more than the 65536 allowed\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
