// The hostile inputs, one named attack each. An attack throws when the server answers it wrongly (a 5xx, no
// answer, an identifier accepted that must be refused); what every attack must leave intact (the process, /health,
// the good call's audio, the disk outside DATA_DIR, the call count) is checked by the test after it.
import assert from 'node:assert/strict';
import type WebSocket from 'ws';
import { signCallToken } from '../../src/exotel/call-token.js';
import { CALLBACK_SECRET, type HostileFixture } from './harness.js';
import { hit, hostileSocket, hostileSockets, trickle, type HttpOutcome } from './peers.js';

export interface Attack {
  name: string;
  run(fx: HostileFixture): Promise<void>;
  /** Extra settle time before the good call's window closes (attacks whose effect comes later). */
  settleMs?: number;
}

const TEN_KB = 'x'.repeat(10 * 1024);
/** Identifiers no call id, stream id, agent name or callLogId may be. */
const BAD_IDS: Array<[string, string]> = [
  ['CR/LF', 'abc\r\nSet-Cookie: x=1'],
  ['NUL', 'abc\u0000def'],
  ['../', '../../../../tmp/exovoice-escape'],
  ['10 KB', TEN_KB],
];

function start(sid: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'start',
    sequence_number: '1',
    stream_sid: 'hostile-stream',
    start: {
      stream_sid: 'hostile-stream',
      call_sid: 'hostile-call',
      account_sid: 'acct',
      from: '+919876543210',
      to: '08047491899',
      custom_parameters: {},
      media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
      ...sid,
    },
    ...extra,
  });
}

const SILENT_FRAME = Buffer.alloc(320).toString('base64');
const media = (seq: number) => `{"event":"media","sequence_number":"${seq}","stream_sid":"hostile-stream","media":{"chunk":"${seq}","timestamp":"0","payload":"${SILENT_FRAME}"}}`;

function nested(depth: number, leaf: unknown, wrap: (inner: string) => string): string {
  let s = JSON.stringify(leaf);
  for (let i = 0; i < depth; i++) s = wrap(s);
  return s;
}

const deepObject = (depth: number) => nested(depth, 'bottom', (inner) => `{"a":${inner}}`);
const deepArray = (depth: number) => nested(depth, 0, (inner) => `[${inner}]`);

/** `o` was answered (no 5xx, no cut connection): the rule for everything sent to an HTTP route. */
function answered(what: string, o: HttpOutcome, allowCut = false): void {
  if (o.status === 0 && allowCut) return;
  assert.ok(o.status >= 200 && o.status < 500, `${what}: got ${o.status || o.error} ${o.body.slice(0, 200)}`);
}

function refused(what: string, o: HttpOutcome): void {
  assert.ok(o.status >= 400 && o.status < 500, `${what}: must be refused with a 4xx, got ${o.status || o.error} ${o.body.slice(0, 200)}`);
}

const statusPath = (recordId: string) =>
  `/api/v1/exotel/status?call=${encodeURIComponent(recordId)}&token=${signCallToken(CALLBACK_SECRET, 'status', recordId, 3600)}`;

/** Every route that takes a body, with its method. */
function bodyRoutes(): Array<[string, string]> {
  return [
    ['POST', '/api/v1/exotel/voice/connect'],
    ['POST', '/voicebot/connect'],
    ['POST', '/call'],
    ['POST', statusPath('hostile-record')],
    ['POST', '/api/v1/exotel/status?call=hostile-record&token=1.AAAAAAAAAAAAAAAAAAAAAA'],
    // Routes that take none: a body must not change that.
    ['GET', '/voicebot/connect?CallSid=body-on-get'],
    ['GET', '/calls'],
    ['GET', '/voicebot/sessions'],
    ['GET', '/health'],
    ['GET', '/metrics'],
  ];
}

async function toEveryRoute(fx: HostileFixture, what: string, headers: Record<string, string>, body: string | Buffer, allowCut = false): Promise<void> {
  for (const [method, path] of bodyRoutes()) {
    answered(`${what} ${method} ${path.split('?')[0]}`, await hit(fx.base, method, path, { headers, body }), allowCut);
  }
}

function multipart(fields: Array<[string, string]>, boundary = 'hostileboundary'): string {
  return fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
}

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const mp = (b = 'hostileboundary') => ({ 'content-type': `multipart/form-data; boundary=${b}` });

export const ATTACKS: Attack[] = [
  // ---------------------------------------------------------------- media WebSocket
  {
    name: 'ws: start with custom_parameters nested 10,000 deep (object)',
    async run(fx) {
      // Built by hand: JSON.stringify of a 10,000-deep object may exhaust this process's own stack.
      const text = start({ custom_parameters: '@@' }).replace('"@@"', deepObject(10_000));
      assert.ok(JSON.parse(text).start.custom_parameters.a.a.a, 'the bomb is a real nested object');
      await hostileSocket(fx.wsUrl + '?call_id=depth-obj', (ws) => ws.send(text), 500);
    },
  },
  {
    name: 'ws: start, media_format and media nested 10,000 deep',
    async run(fx) {
      const deep = deepObject(10_000);
      await hostileSocket(fx.wsUrl + '?call_id=depth-fields', (ws) => {
        ws.send(`{"event":"start","start":${deep}}`);
        ws.send(start({ media_format: '@@' }).replace('"@@"', deep));
        ws.send(`{"event":"media","media":${deep}}`);
        ws.send(`{"event":"dtmf","dtmf":${deep}}`);
        ws.send(`{"event":"mark","mark":${deep}}`);
      }, 500);
    },
  },
  {
    name: 'ws: start with custom_parameters as a JSON string nested 10,000 deep',
    async run(fx) {
      await hostileSocket(fx.wsUrl + '?call_id=depth-str', (ws) => ws.send(start({ custom_parameters: deepObject(10_000) })), 500);
    },
  },
  {
    name: 'ws: start with arrays nested 10,000 deep in every field',
    async run(fx) {
      const text = start({ stream_sid: '@@', call_sid: '@@', media_format: '@@', custom_parameters: { agent: '@@' } }).replaceAll('"@@"', deepArray(10_000));
      await hostileSocket(fx.wsUrl + '?call_id=depth-arr', (ws) => ws.send(text), 500);
    },
  },
  {
    name: 'ws: 5 MB text frame',
    async run(fx) {
      const big = `{"event":"media","media":{"payload":"${'A'.repeat(5 * 1024 * 1024)}"}}`;
      const o = await hostileSocket(fx.wsUrl + '?call_id=big-text', (ws) => {
        ws.send(start());
        ws.send(big);
      }, 3000);
      // 1009, or 1006 when the close reached us while we were still writing the frame: the server cut it either way.
      assert.ok(o.closeCode === 1009 || o.closeCode === 1006, `an oversized message closes its socket with 1009, got ${o.closeCode}`);
    },
  },
  {
    name: 'ws: 5 MB binary frame',
    async run(fx) {
      const o = await hostileSocket(fx.wsUrl + '?call_id=big-bin', (ws) => ws.send(Buffer.alloc(5 * 1024 * 1024, 7)), 3000);
      // 1009, or 1006 when the close reached us while we were still writing the frame: the server cut it either way.
      assert.ok(o.closeCode === 1009 || o.closeCode === 1006, `an oversized message closes its socket with 1009, got ${o.closeCode}`);
    },
  },
  {
    name: 'ws: 5,000 tiny frames in one burst',
    async run(fx) {
      await hostileSocket(fx.wsUrl + '?call_id=burst-5k', (ws) => {
        ws.send(start());
        for (let i = 0; i < 5000; i++) ws.send(i % 2 ? '{}' : media(i + 2));
      }, 1500);
    },
  },
  {
    name: 'ws: 10,000 tiny frames in one burst',
    async run(fx) {
      await hostileSocket(fx.wsUrl + '?call_id=burst-10k', (ws) => {
        ws.send(start());
        for (let i = 0; i < 10_000; i++) ws.send(i % 2 ? 'x' : media(i + 2));
      }, 2000);
    },
  },
  {
    name: 'ws: 10,000 empty frames in one burst from 10 sockets at once',
    async run(fx) {
      const urls = Array.from({ length: 10 }, (_, i) => `${fx.wsUrl}?call_id=burst-many-${i}`);
      await hostileSockets(urls, (ws) => {
        ws.send(start());
        for (let i = 0; i < 1000; i++) ws.send('');
      }, 1500);
    },
  },
  {
    name: 'ws: binary frames',
    async run(fx) {
      await hostileSocket(fx.wsUrl + '?call_id=binary', (ws) => {
        ws.send(start());
        for (let i = 0; i < 200; i++) ws.send(Buffer.from(media(i + 2)), { binary: true });
        for (let i = 0; i < 200; i++) ws.send(Buffer.alloc(3200, i), { binary: true });
      }, 1000);
    },
  },
  {
    name: 'ws: invalid UTF-8 text frames',
    async run(fx) {
      const bad = [Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), Buffer.from('{"event":"media","media":{"payload":"\xed\xa0\x80"}}', 'latin1')];
      const outcomes = await Promise.all(
        bad.map((b, i) =>
          hostileSocket(`${fx.wsUrl}?call_id=utf8-${i}`, (ws) => {
            ws.send(start());
            ws.send(b, { binary: false });
          }, 1000),
        ),
      );
      for (const o of outcomes) assert.equal(o.closeCode, 1007, 'invalid UTF-8 closes its socket with 1007');
    },
  },
  {
    name: 'ws: media flood before start',
    async run(fx) {
      await hostileSocket(fx.wsUrl + '?call_id=preflood', (ws) => {
        for (let i = 0; i < 5000; i++) ws.send(media(i + 2));
        ws.send(start());
        for (let i = 0; i < 50; i++) ws.send(media(i + 5002));
      }, 2000);
    },
  },
  {
    name: 'ws: start with absurd sample rates',
    async run(fx) {
      const rates: unknown[] = [0, -8000, 1e308, 'NaN', 'Infinity', '8000000', 8000.5, '99999999999999999999999kHz', 1, {}, [], null, true, '8000'.repeat(2000)];
      await Promise.all(
        rates.map((rate, i) =>
          hostileSocket(`${fx.wsUrl}?call_id=rate-${i}`, (ws) => {
            ws.send(start({ media_format: { encoding: 'audio/x-raw', sample_rate: rate, bit_rate: '16' } }));
            for (let k = 0; k < 25; k++) ws.send(media(k + 2));
          }, 1000),
        ),
      );
    },
  },
  {
    name: 'ws: absurd sample-rate in the URL',
    async run(fx) {
      const rates = ['0', '-1', '1e308', 'NaN', '8000000', '16000.000001', '%00', 'x'.repeat(8000)];
      await Promise.all(
        rates.map((rate, i) =>
          hostileSocket(`${fx.wsUrl}?call_id=urlrate-${i}&sample-rate=${encodeURIComponent(rate)}`, (ws) => {
            ws.send(start({ media_format: {} }));
            for (let k = 0; k < 25; k++) ws.send(media(k + 2));
          }, 1000),
        ),
      );
    },
  },
  ...BAD_IDS.map(
    ([label, id]): Attack => ({
      name: `ws: ${label} in call_id and agent of the WebSocket URL`,
      async run(fx) {
        for (const q of [`call_id=${encodeURIComponent(id)}`, `call_id=url-agent&agent=${encodeURIComponent(id)}`]) {
          const o = await hostileSocket(`${fx.wsUrl}?${q}`, (ws) => {
            ws.send(start());
            for (let k = 0; k < 10; k++) ws.send(media(k + 2));
          }, 500);
          // Refusing the upgrade (4xx) or taking the call are both fine; a 5xx is not.
          if (!o.opened) assert.ok(o.status !== undefined && o.status < 500, `upgrade answered ${o.status}`);
        }
        await assertNotRecorded(fx, label, id);
      },
    }),
  ),
  ...BAD_IDS.map(
    ([label, id]): Attack => ({
      name: `ws: ${label} in stream_sid, call_sid, account_sid and agent of start`,
      async run(fx) {
        await hostileSocket(`${fx.wsUrl}`, (ws) => {
          ws.send(start({ stream_sid: id, call_sid: id, account_sid: id, from: id, to: id, custom_parameters: { agent: id, [id]: id } }, { stream_sid: id }));
          for (let k = 0; k < 10; k++) ws.send(media(k + 2));
          ws.send(JSON.stringify({ event: 'mark', stream_sid: id, mark: { name: id } }));
          ws.send(JSON.stringify({ event: 'dtmf', stream_sid: id, dtmf: { digit: id, duration: id } }));
          ws.send(JSON.stringify({ event: 'stop', stream_sid: id, stop: { call_sid: id, reason: id } }));
        }, 500);
        await assertNotRecorded(fx, label, id);
      },
    }),
  ),
  {
    name: "ws: start claiming the good call's CallSid",
    async run(fx) {
      await hostileSocket(fx.wsUrl, (ws) => {
        ws.send(start({ call_sid: 'good-call', stream_sid: 'good-stream' }));
        ws.send(JSON.stringify({ event: 'stop', stream_sid: 'good-stream', stop: { call_sid: 'good-call', reason: 'callended' } }));
      }, 500);
    },
  },
  {
    name: 'ws: prototype-pollution keys in start and media',
    async run(fx) {
      const poison = '{"__proto__":{"agent":"front-desk","polluted":"yes","sampleRate":1},"constructor":{"prototype":{"polluted":"yes"}}}';
      await hostileSocket(`${fx.wsUrl}?call_id=pollute-ws&__proto__[agent]=x&constructor[prototype][polluted]=1`, (ws) => {
        ws.send(start({ custom_parameters: '@@' }).replace('"@@"', poison).replace('"start":{', `"__proto__":{"event":"stop"},"start":{"__proto__":{"call_sid":"polluted"},`));
        ws.send(`{"event":"media","__proto__":{"payload":"AAAA"},"media":${poison}}`);
        ws.send(`{"event":"dtmf","dtmf":{"__proto__":{"digit":"1"}}}`);
      }, 500);
      await assertNotPolluted(fx);
    },
  },
  {
    name: 'ws: sockets that never send start',
    settleMs: 500,
    async run(fx) {
      // 50 say nothing, 50 only `connected`; the server's start time-out (10 s) must close every one of them.
      const urls = Array.from({ length: 100 }, (_, i) => `${fx.wsUrl}?call_id=nostart-${i}`);
      const outcomes = await hostileSockets(urls, (ws: WebSocket, i) => {
        if (i % 2) ws.send('{"event":"connected"}');
      }, 16_000);
      const open = outcomes.filter((o) => o.opened && o.closeCode === undefined).length;
      assert.equal(open, 0, `${open} of 100 sockets that never sent start were still open after 16 s`);
    },
  },
  // ---------------------------------------------------------------- raw HTTP
  {
    name: 'http: headers trickled byte by byte',
    async run(fx) {
      const http = 'GET /voicebot/connect?CallSid=trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n';
      const upgrade =
        'GET /voicebot/ws?call_id=trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
      await trickle(fx.port, [...Array(25).fill(http), ...Array(25).fill(upgrade)], 30, 7000);
    },
  },
  {
    name: 'http: 500 connections that never send a byte',
    async run(fx) {
      await trickle(fx.port, Array(500).fill(''), 1000, 3000);
      answered('GET /health while the connections are open', await hit(fx.base, 'GET', '/health'));
    },
  },
  // ---------------------------------------------------------------- identifiers over HTTP
  ...BAD_IDS.map(
    ([label, id]): Attack => ({
      name: `http webhook: ${label} in CallSid and agent (query, form, JSON)`,
      async run(fx) {
        const e = encodeURIComponent(id);
        for (const path of ['/voicebot/connect', '/api/v1/exotel/voice/connect']) {
          refused(`GET ${path} CallSid`, await hit(fx.base, 'GET', `${path}?CallSid=${e}`));
          refused(`GET ${path} agent`, await hit(fx.base, 'GET', `${path}?CallSid=ok-1&agent=${e}`));
          refused(`POST ${path} form CallSid`, await hit(fx.base, 'POST', path, { headers: form, body: `CallSid=${e}` }));
          refused(`POST ${path} JSON CallSid`, await hit(fx.base, 'POST', path, { headers: json, body: JSON.stringify({ CallSid: id }) }));
          refused(`POST ${path} JSON agent`, await hit(fx.base, 'POST', path, { headers: json, body: JSON.stringify({ CallSid: 'ok-2', agent: id }) }));
        }
      },
    }),
  ),
  ...BAD_IDS.map(
    ([label, id]): Attack => ({
      name: `http POST /call: ${label} in callLogId, agent and numbers`,
      async run(fx) {
        const bodies: Array<Record<string, string>> = [{ to: '+919876543210', callLogId: id }, { to: '+919876543210', agent: id }, { to: id }, { to: '+919876543210', from: id }];
        for (const b of bodies) {
          const field = Object.keys(b).find((k) => b[k] === id)!;
          const o = await hit(fx.base, 'POST', '/call', { headers: json, body: JSON.stringify(b) });
          if (label === '../' && field === 'callLogId') answered(`POST /call JSON ${field}`, o);
          else refused(`POST /call JSON ${field}`, o);
          const f = await hit(fx.base, 'POST', '/call', { headers: form, body: new URLSearchParams(b).toString() });
          if (label === '../' && field === 'callLogId') answered(`POST /call form ${field}`, f);
          else refused(`POST /call form ${field}`, f);
        }
      },
    }),
  ),
  ...BAD_IDS.map(
    ([label, id]): Attack => ({
      name: `http status callback: ${label} in the call id and CallSid`,
      async run(fx) {
        // Signed for the hostile id itself, so the request gets past the token to what is behind it (an earlier
        // attack may have left a call record under that id: then 200 is right).
        answered('callback for a hostile record id', await hit(fx.base, 'POST', statusPath(id), { headers: json, body: JSON.stringify({ CallSid: 'x', Status: 'completed' }) }));
        const cb = { CallSid: id, Status: 'completed', EventType: 'terminal', DateUpdated: id, RecordingUrl: id };
        for (const [h, body] of [
          [json, JSON.stringify(cb)],
          [form, new URLSearchParams(cb).toString()],
          [mp(), multipart(Object.entries(cb))],
        ] as const) {
          answered(`callback ${h['content-type'].split(';')[0]} with hostile CallSid`, await hit(fx.base, 'POST', statusPath('hostile-record'), { headers: h, body }));
        }
        answered('GET /calls/:id', await hit(fx.base, 'GET', `/calls/${encodeURIComponent(id)}`));
      },
    }),
  ),
  // ---------------------------------------------------------------- bodies to every route
  {
    name: 'http: 5 MB bodies (JSON, form, multipart) to every route',
    async run(fx) {
      const big = 'a'.repeat(5 * 1024 * 1024);
      await toEveryRoute(fx, '5 MB JSON', json, `{"CallSid":"${big}"}`, true);
      await toEveryRoute(fx, '5 MB form', form, `CallSid=${big}`, true);
      await toEveryRoute(fx, '5 MB multipart', mp(), multipart([['CallSid', big]]), true);
    },
  },
  {
    name: 'http: malformed JSON to every route',
    async run(fx) {
      for (const body of ['{"CallSid":', '{"a":1}}', '\u0000\u0001', '[]', '"str"', 'null', '1e999', '{"a":"\\ud800"}', '\xff\xfe{}']) {
        await toEveryRoute(fx, `JSON ${JSON.stringify(body)}`, json, body);
      }
      await toEveryRoute(fx, 'JSON with a charset lie', { 'content-type': 'application/json; charset=utf-16' }, '{"CallSid":"a"}');
    },
  },
  {
    name: 'http: JSON nested 10,000 deep to every route',
    async run(fx) {
      await toEveryRoute(fx, 'deep object', json, `{"CallSid":"deep","to":${deepObject(10_000)},"Legs":${deepObject(10_000)}}`);
      await toEveryRoute(fx, 'deep array', json, `{"CallSid":"deep","Legs":${deepArray(10_000)}}`);
    },
  },
  {
    name: 'http: malformed and huge forms to every route',
    async run(fx) {
      const many = Array.from({ length: 100_000 }, (_, i) => `f${i}=${i}`).join('&');
      await toEveryRoute(fx, '100,000 form fields', form, many);
      await toEveryRoute(fx, 'deep bracket keys', form, `Legs${'[0]'.repeat(5000)}[Status]=completed&CallSid=a`);
      await toEveryRoute(fx, 'broken percent-encoding', form, 'CallSid=%E0%A4%A&agent=%&to=%ZZ');
      await toEveryRoute(fx, 'one key 100,000 times', form, Array(100_000).fill('CallSid=a').join('&'));
    },
  },
  {
    name: 'http: malformed multipart to every route',
    async run(fx) {
      await toEveryRoute(fx, 'no boundary', { 'content-type': 'multipart/form-data' }, multipart([['CallSid', 'a']]));
      await toEveryRoute(fx, 'wrong boundary', mp('other'), multipart([['CallSid', 'a']]));
      await toEveryRoute(fx, 'unterminated', mp(), '--hostileboundary\r\nContent-Disposition: form-data; name="CallSid"\r\n\r\nabc');
      await toEveryRoute(fx, '10,000 fields', mp(), multipart(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, 'v'] as [string, string])));
      await toEveryRoute(fx, 'a file', mp(), '--hostileboundary\r\nContent-Disposition: form-data; name="f"; filename="../../x.sh"\r\nContent-Type: text/plain\r\n\r\nrm -rf /\r\n--hostileboundary--\r\n');
      await toEveryRoute(fx, '100 KB field', mp(), multipart([['CallSid', 'z'.repeat(100_000)]]));
      await toEveryRoute(fx, '10 KB boundary', mp('b'.repeat(10_000)), multipart([['CallSid', 'a']], 'b'.repeat(10_000)));
    },
  },
  {
    name: 'http: prototype-pollution payloads to every route',
    async run(fx) {
      const poison = { CallSid: 'polluted', call_sid: 'polluted', agent: 'polluted', polluted: 'yes', Status: 'completed' };
      for (const body of [
        `{"__proto__":${JSON.stringify(poison)}}`,
        `{"constructor":{"prototype":${JSON.stringify(poison)}}}`,
        `{"to":"+919876543210","__proto__":{"callLogId":"polluted"}}`,
      ]) {
        await toEveryRoute(fx, `JSON ${body.slice(0, 30)}`, json, body);
      }
      await toEveryRoute(fx, 'form __proto__', form, '__proto__[CallSid]=polluted&__proto__.agent=polluted&constructor[prototype][CallSid]=polluted&__proto__=x');
      await toEveryRoute(fx, 'multipart __proto__', mp(), multipart([['__proto__', 'x'], ['constructor', 'y'], ['__proto__[CallSid]', 'polluted']]));
      for (const q of ['__proto__[CallSid]=polluted', '__proto__.CallSid=polluted', 'constructor[prototype][CallSid]=polluted', '__proto__=polluted']) {
        answered(`GET webhook ?${q}`, await hit(fx.base, 'GET', `/voicebot/connect?${q}`));
        answered(`GET /calls ?${q}`, await hit(fx.base, 'GET', `/calls?${q}`));
      }
      await assertNotPolluted(fx);
    },
  },
  {
    name: 'http: hostile query strings on the GET routes',
    async run(fx) {
      const many = Array.from({ length: 1500 }, (_, i) => `p${i}=${i}`).join('&');
      for (const path of ['/voicebot/connect', '/calls', '/voicebot/sessions', '/health', '/ready', '/metrics', '/voicebot/ws']) {
        answered(`${path} 1,500 parameters`, await hit(fx.base, 'GET', `${path}?${many}`));
        answered(`${path} broken encoding`, await hit(fx.base, 'GET', `${path}?CallSid=%E0%A4%A&limit=%ZZ`));
        answered(`${path} 14 KB value`, await hit(fx.base, 'GET', `${path}?cursor=${'c'.repeat(14_000)}`));
      }
      for (const q of ['limit=1e309', 'limit=-1', 'limit=0x10', 'from=99999-99-99', 'to=%00', 'cursor=%00%00', `cursor=${'/'.repeat(512)}`, 'status=__proto__', 'limit=200&limit=1']) {
        answered(`GET /calls?${q}`, await hit(fx.base, 'GET', `/calls?${q}`));
      }
    },
  },
];

/**
 * Control characters and oversized strings may not become a call's identity in the records (they end up in
 * logs, CRM lookups and Exotel's API); `../` is only data there.
 */
async function assertNotRecorded(fx: HostileFixture, label: string, id: string): Promise<void> {
  if (label === '../') return;
  await new Promise((r) => setTimeout(r, 300)); // records reach the store within a flush (100 ms)
  const r = await fetch(`${fx.base}/calls?limit=200`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(r.status, 200, `GET /calls answered ${r.status}`);
  const { items } = (await r.json()) as { items: Array<Record<string, unknown>> };
  const hits = items.filter((r) => ['id', 'callSid', 'streamSid', 'callLogId'].some((k) => r[k] === id));
  assert.equal(hits.length, 0, `a ${label} identifier became a call record's id: ${JSON.stringify(hits[0])?.slice(0, 300)}`);
}

/** A polluted Object.prototype would give a webhook call without CallSid the attacker's id. */
async function assertNotPolluted(fx: HostileFixture): Promise<void> {
  for (const o of [
    await hit(fx.base, 'GET', '/voicebot/connect'),
    await hit(fx.base, 'POST', '/voicebot/connect', { headers: json, body: '{}' }),
  ]) {
    assert.equal(o.status, 200, `probe webhook answered ${o.status}`);
    const url = (JSON.parse(o.body) as { url: string }).url;
    assert.match(url, /call_id=gen-/, `a call without CallSid got ${url}: Object.prototype is polluted`);
    assert.doesNotMatch(url, /polluted/);
  }
}
