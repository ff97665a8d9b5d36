// The console's routes over real HTTP: the static shell and vendor modules (CSP, no key needed), the live feed as
// server-sent events (admin-guarded; sessions, a call's turns and its end), and the softphone's signed URL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startE2eGateway, type E2eGateway } from '../helpers/e2e-call.js';
import { upgradeStatus } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';
import { CONSOLE_DIR } from '../../src/http/routes/console.js';

const KEY = 'console-routes-key-0123456789';
const WS_TOKEN = 'console-ws-token-0123456789';
const agent = new ScriptedAgent('scripted');
let gateway: E2eGateway;
const auth = { authorization: `Bearer ${KEY}` };

before(async () => {
  gateway = await startE2eGateway({ env: { API_KEY: KEY, EXOTEL_WS_TOKEN: WS_TOKEN }, agents: [agent] });
});
after(async () => gateway?.close());

/** Reads server-sent events from `path` until `until` returns true for one of them. */
async function readEvents(path: string, until: (name: string, data: any) => boolean, onOpen?: () => void): Promise<[string, any][]> {
  const abort = new AbortController();
  const res = await fetch(`${gateway.base}${path}`, { headers: auth, signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const seen: [string, any][] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  onOpen?.();
  const timer = setTimeout(() => abort.abort(), 30_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended; saw ${JSON.stringify(seen)}`);
      buffer += value;
      for (let cut; (cut = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(cut + 2)) {
        const block = buffer.slice(0, cut);
        const name = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!name || !data) continue;
        seen.push([name, JSON.parse(data)]);
        if (until(name, JSON.parse(data))) return seen;
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe('the console routes', () => {
  it('serves the shell and the vendor modules without a key, under a self-only CSP that allows just the import map', async () => {
    const res = await fetch(`${gateway.base}/console`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1];
    const hash = createHash('sha256').update(importMap).digest('base64');
    assert.match(csp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    for (const directive of ["default-src 'self'", "style-src 'self'", "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(directive), csp);
    assert.ok(!/https?:\/\//.test(html), 'no outside URL in the shell');

    for (const name of Object.values(JSON.parse(importMap).imports as Record<string, string>)) {
      const mod = await fetch(`${gateway.base}${name}`);
      assert.equal(mod.status, 200, name);
      assert.match(mod.headers.get('content-type') ?? '', /^text\/javascript/);
    }
    const app = await fetch(`${gateway.base}/console/app.js`);
    assert.equal(await app.text(), readFileSync(`${CONSOLE_DIR}/app.js`, 'utf8'));
    const again = await fetch(`${gateway.base}/console/app.js`, { headers: { 'if-none-match': app.headers.get('etag')! } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${gateway.base}/console/../package.json`)).status, 404);
    assert.equal((await fetch(`${gateway.base}/console/vendor/preact.js.map`)).status, 404);
  });

  it('answers every data route only with the key', async () => {
    for (const [method, path] of [['GET', '/console/events'], ['GET', '/console/agents'], ['POST', '/console/softphone']]) {
      const res = await fetch(`${gateway.base}${path}`, { method, headers: { authorization: 'Bearer wrong' } });
      assert.equal(res.status, 401, path);
      await res.body?.cancel();
    }
    const agents = await (await fetch(`${gateway.base}/console/agents`, { headers: auth })).json();
    assert.deepEqual(agents, { defaultAgent: 'scripted', agents: ['scripted'] });
  });

  it('pushes the live list, then the watched call turn by turn, and its end', async () => {
    let callSid = '';
    const sessions = await readEvents(
      '/console/events',
      (name, data) => name === 'sessions' && data.sessions.some((s: { callId: string; state: string }) => s.callId === callSid && s.state === 'streaming'),
      () => void gateway.dial({ from: '09811122233' }).then((c) => (callSid = c.callSid)),
    );
    assert.deepEqual(sessions[0], ['sessions', { count: 0, sessions: [], at: sessions[0][1].at }]);
    const live = sessions.at(-1)![1].sessions.find((s: { callId: string }) => s.callId === callSid);
    assert.equal(live.from, '09811122233');
    assert.equal(live.agent, 'scripted');

    while (agent.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
    const call = agent.calls[0];
    const startedAt = Date.now();
    const seq = call.control.addTurn({ role: 'caller', text: 'hello', startedAt });
    // A watcher arriving mid-call gets the turns so far, then each change.
    const turns = await readEvents(
      `/console/events?call=${callSid}`,
      (name) => name === 'ended',
      () => {
        setTimeout(() => {
          call.control.updateTurn(seq, { text: 'hello there', endedAt: startedAt + 900 });
          call.control.hangup('bot-hangup');
        }, 200);
      },
    );
    const turnEvents = turns.filter(([name]) => name === 'turn').map(([, t]) => t);
    assert.deepEqual(turnEvents[0], { role: 'caller', text: 'hello', startedAt, seq });
    assert.deepEqual(turnEvents.at(-1), { role: 'caller', text: 'hello there', startedAt, endedAt: startedAt + 900, seq });
    assert.equal(turns.at(-1)![1].callId, callSid);
  });

  it('refuses a bad call id on the feed', async () => {
    for (const query of [`call=${'x'.repeat(200)}`, 'call=a%20b', 'call=a&call=b']) {
      const res = await fetch(`${gateway.base}/console/events?${query}`, { headers: auth });
      assert.equal(res.status, 400, query);
      assert.equal(((await res.json()) as { field: string }).field, 'call');
    }
  });

  it('hands the softphone a signed media URL for a new call id, which opens the socket where an unsigned one is refused', async () => {
    const res = await fetch(`${gateway.base}/console/softphone`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ sampleRate: 16000 }) });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { callId: string; agent: string; path: string };
    assert.match(body.callId, /^console-[0-9a-f]{24}$/);
    assert.equal(body.agent, 'scripted');
    const url = new URL(body.path, gateway.base.replace('http', 'ws'));
    assert.equal(url.pathname, '/voicebot/ws');
    assert.equal(url.searchParams.get('call_id'), body.callId);
    assert.equal(url.searchParams.get('sample-rate'), '16000');
    assert.match(url.searchParams.get('token') ?? '', /^\d+\.[A-Za-z0-9_-]{22}$/);
    assert.equal(await upgradeStatus(url.href), 101);
    url.searchParams.delete('token');
    assert.equal(await upgradeStatus(url.href), 401);

    for (const bad of [{ sampleRate: 44100 }, { agent: 'nobody' }, { agent: '../x' }, { extra: 1 }]) {
      const r = await fetch(`${gateway.base}/console/softphone`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match(((await r.json()) as { error: string }).error, /sampleRate|agent|extra|Unrecognized/);
    }
  });
});
