import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { freePort } from '../helpers/gateway.js';

/** The fault-injecting gateway (crash-containment-server.ts) as a child process. */
async function startFaultyServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/crash-containment-server.ts'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const base = `http://127.0.0.1:${env.PORT}`;
  await until(() => gone || out.includes('Server listening'), 30_000, 'the faulty server to listen');
  if (gone) throw new Error(`server exited: ${out}`);
  return { child, exited, base, ws: `ws://127.0.0.1:${env.PORT}/voicebot/ws`, output: () => out };
}

async function recordOf(base: string, id: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${base}/calls/${id}`);
    if (res.ok) {
      const rec = (await res.json()) as any;
      if (rec.endReason) return rec;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ended record for ${id}`);
}

test('a call whose agent faults (sync, in a timer, in a mark handler) ends alone; its neighbour streams on, the process stays up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-contain-'));
  const port = await freePort();
  const srv = await startFaultyServer({ PORT: String(port), DATA_DIR: dir });
  try {
    const good = await ExotelSocket.open(`${srv.ws}?call_id=good1&agent=steady`);
    good.start({ callSid: 'good1' });
    await good.waitFor((m) => m.event === 'media', 5000);
    const caller = setInterval(() => good.media(new Int16Array(800)), 100);
    try {
      const bad: Record<string, ExotelSocket> = {};
      for (const fault of ['audio', 'timer', 'mark']) {
        bad[fault] = await ExotelSocket.open(`${srv.ws}?call_id=bad-${fault}&agent=faulty`);
        bad[fault].start({ callSid: `bad-${fault}`, custom: { fault } });
      }
      bad.audio.media(new Int16Array(160));
      const mark = await bad.mark.waitFor((m) => m.event === 'mark', 5000);
      bad.mark.send({ event: 'mark', stream_sid: 'stream1', mark: { name: mark.mark!.name } });
      for (const s of Object.values(bad)) assert.equal((await s.closed).code, 1011);
      const faultsOverAt = performance.now();
      await until(() => good.received.some((m) => m.event === 'media' && m.at > faultsOverAt + 600), 5000, 'good call audio after the faults');

      // No gap in the good call's audio: frames are 200 ms apart, one second would be a stall.
      const frames = good.received.filter((m) => m.event === 'media').map((m) => m.at);
      const gaps = frames.slice(1).map((t, i) => t - frames[i]);
      assert.ok(Math.max(...gaps) < 1000, `largest gap between frames ${Math.round(Math.max(...gaps))} ms`);
      assert.equal((await fetch(`${srv.base}/health`)).status, 200);

      const messages: Record<string, string> = { audio: 'fault: onAudio threw', timer: 'fault: timer rejected', mark: 'fault: mark handler threw' };
      for (const [fault, message] of Object.entries(messages)) {
        const rec = await recordOf(srv.base, `bad-${fault}`);
        assert.equal(rec.endReason, 'error', fault);
        const end = rec.events.find((e: { type: string }) => e.type === 'end');
        assert.equal(end.data.message, message, fault);
        assert.equal(end.data.reason, 'agent-error');
        // Logged with the call's id.
        const line = srv.output().split('\n').find((l) => l.includes(message));
        assert.ok(line && JSON.parse(line).callId === `bad-${fault}`, `log line for ${fault}: ${line}`);
      }
    } finally {
      clearInterval(caller);
    }
    good.stop();
    assert.equal((await good.closed).code, 1000);
    assert.equal((await recordOf(srv.base, 'good1')).endReason, 'caller-hangup');
    srv.child.kill('SIGTERM');
    assert.equal(await srv.exited, 0);
  } finally {
    srv.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fault outside any call drains the server like SIGTERM, then exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-contain-'));
  const port = await freePort();
  const srv = await startFaultyServer({ PORT: String(port), DATA_DIR: dir, DRAIN_TIMEOUT_MS: '300' });
  try {
    const live = await ExotelSocket.open(`${srv.ws}?call_id=live1&agent=steady`);
    live.start({ callSid: 'live1' });
    await live.waitFor((m) => m.event === 'media', 5000);
    srv.child.kill('SIGUSR2');
    assert.equal((await live.closed).code, 1001, 'the live call was ended by the drain');
    assert.equal(await srv.exited, 1);
    assert.match(srv.output(), /fault outside any call: draining, then exiting/);
    assert.match(srv.output(), /"endedByDrain":1/);
  } finally {
    srv.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
