import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { FakeExotelRest, exotelTimestamp, type DialedCall } from './exotel-rest.js';

const AUTH = `Basic ${Buffer.from('exotel_key:exotel_token').toString('base64')}`;
const CONNECT = '/v1/Accounts/exotelacct1/Calls/connect';
// Spec §15.5, byte for byte.
const VOICE_AI_BODY =
  'From=%2B919876543210&CallerId=08047491899&StreamUrl=wss%3A%2F%2Fbot.example.com%2Fmedia%3Fsample-rate%3D8000&StreamType=bidirectional&Record=false&TimeLimit=600&CustomField=run-42&StatusCallback=https%3A%2F%2Fbot.example.com%2Fexotel%2Fstatus%2F42%3Ftoken%3Dabc&StatusCallbackEvents%5B0%5D=terminal&StatusCallbackEvents%5B1%5D=answered';
// Spec §15.6.
const FLOW_BODY =
  'From=09876543210&CallerId=08047491899&Url=http%3A%2F%2Fmy.exotel.com%2Fexotelacct1%2Fexoml%2Fstart_voice%2F123456&CallType=trans&TimeOut=30&TimeLimit=600&CustomField=run-42&StatusCallback=https%3A%2F%2Fbot.example.com%2Fexotel%2Fstatus%2F42&StatusCallbackEvents%5B%5D=terminal&StatusCallbackContentType=application%2Fjson';

async function withFake(fn: (fake: FakeExotelRest, base: string) => Promise<void>, fake = new FakeExotelRest()): Promise<void> {
  const { baseUrl, close } = await fake.start();
  try {
    await fn(fake, baseUrl);
  } finally {
    await close();
  }
}

interface Answer {
  status: number;
  type: string;
  text: string;
  json: any;
  headers: Headers;
}

async function call(
  base: string,
  path: string,
  init: { method?: string; body?: string | FormData; type?: string | null; auth?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.auth !== null) headers.authorization = init.auth ?? AUTH;
  if (typeof init.body === 'string' && init.type !== null) headers['content-type'] = init.type ?? 'application/x-www-form-urlencoded';
  const res = await fetch(base + path, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json, headers: res.headers };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const VOICE_AI = { From: '09876543210', CallerId: '08047491899', StreamUrl: 'wss://bot.example.com/media', StreamType: 'bidirectional' };

test('the §15.5 Connect Voice AI dial gets the §7.3 JSON answer and is recorded', async () => {
  const clock = Date.UTC(2026, 4, 14, 4, 30, 0); // 10:00:00 IST
  await withFake(
    async (fake, base) => {
      const res = await call(base, `${CONNECT}.json`, { body: VOICE_AI_BODY });
      assert.equal(res.status, 200);
      assert.match(res.type, /application\/json/);
      const c = res.json.Call;
      assert.match(c.Sid, /^[0-9a-f]{32}$/);
      assert.equal(c.Status, 'in-progress');
      assert.equal(c.DateCreated, '2026-05-14 10:00:00');
      assert.equal(c.StartTime, '2026-05-14 10:00:00');
      assert.equal(c.From, '+919876543210');
      assert.equal(c.PhoneNumberSid, '08047491899');
      assert.equal(c.To, null);
      assert.equal(c.EndTime, null);
      assert.equal(c.Direction, 'outbound-api');
      assert.equal(c.AccountSid, 'exotelacct1');
      assert.equal(c.Uri, `/v1/Accounts/exotelacct1/Calls/${c.Sid}.json`);

      const [req] = fake.requests;
      assert.equal(req.method, 'POST');
      assert.equal(req.path, `${CONNECT}.json`);
      assert.equal(req.body, VOICE_AI_BODY);
      assert.equal(req.headers.authorization, 'Basic ***');
      assert.equal(req.authorized, true);
      assert.equal(req.status, 200);
      assert.deepEqual(req.fields.slice(-2), [
        ['StatusCallbackEvents[0]', 'terminal'],
        ['StatusCallbackEvents[1]', 'answered'],
      ]);
      const dial = fake.call(c.Sid).dial;
      assert.equal(dial.mode, 'voice-ai');
      assert.equal(dial.StreamUrl, 'wss://bot.example.com/media?sample-rate=8000');
      assert.deepEqual(dial.StatusCallbackEvents, ['terminal', 'answered']);
      assert.equal(dial.TimeLimit, 600);
      assert.equal(dial.Record, false);
      assert.equal(dial.StatusCallback, 'https://bot.example.com/exotel/status/42?token=abc');
    },
    new FakeExotelRest({ now: () => clock }),
  );
});

test('without .json the answer is XML <TwilioResponse><Call>', async () => {
  await withFake(async (_fake, base) => {
    const res = await call(base, CONNECT, { body: form(VOICE_AI) });
    assert.equal(res.status, 200);
    assert.match(res.type, /xml/);
    assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<TwilioResponse><Call><Sid>[0-9a-f]{32}<\/Sid><ParentCallSid\/>/);
    assert.match(res.text, /<Status>in-progress<\/Status>/);
    assert.match(res.text, /<From>09876543210<\/From>/);
    assert.match(res.text, /<Uri>\/v1\/Accounts\/exotelacct1\/Calls\/[0-9a-f]{32}<\/Uri>/);
    assert.match(res.text, /<SubResourceUris><Notifications>[^<]+<\/Notifications><Stream>[^<]+<\/Stream><\/SubResourceUris>/);
  });
});

test('the §15.6 flow dial (events as []), sent multipart, reaches onDial with its fields', async () => {
  await withFake(async (fake, base) => {
    const dials: DialedCall[] = [];
    fake.onDial((d) => {
      dials.push(d);
    });
    const body = new FormData();
    for (const [k, v] of new URLSearchParams(FLOW_BODY)) body.append(k, v);
    const res = await call(base, `${CONNECT}.json`, { body });
    assert.equal(res.status, 200, res.text);
    await fake.settled();
    assert.equal(dials.length, 1);
    const d = dials[0];
    assert.equal(d.Sid, res.json.Call.Sid);
    assert.equal(d.mode, 'flow');
    assert.equal(d.Url, 'http://my.exotel.com/exotelacct1/exoml/start_voice/123456');
    assert.equal(d.From, '09876543210');
    assert.equal(d.CallerId, '08047491899');
    assert.equal(d.CustomField, 'run-42');
    assert.equal(d.TimeOut, 30);
    assert.deepEqual(d.StatusCallbackEvents, ['terminal']);
    assert.equal(d.StatusCallbackContentType, 'application/json');
    assert.match(fake.requests[0].headers['content-type'], /^multipart\/form-data; boundary=/);
  });
});

test('StatusCallbackEvents is accepted in all three spellings', async () => {
  await withFake(async (fake, base) => {
    const spellings = [
      'StatusCallbackEvents=terminal',
      'StatusCallbackEvents%5B%5D=terminal&StatusCallbackEvents%5B%5D=ringing',
      'StatusCallbackEvents%5B0%5D=answered&StatusCallbackEvents%5B1%5D=terminal',
    ];
    const expected = [['terminal'], ['terminal', 'ringing'], ['answered', 'terminal']];
    for (const [i, events] of spellings.entries()) {
      const res = await call(base, `${CONNECT}.json`, { body: `${form(VOICE_AI)}&${events}` });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(fake.call(res.json.Call.Sid).dial.StatusCallbackEvents, expected[i]);
    }
  });
});

test('lower-case paths get 404 like the live API', async () => {
  await withFake(async (fake, base) => {
    for (const path of ['/v1/accounts/exotelacct1/calls/connect.json', '/v1/Accounts/exotelacct1/Calls/Connect.json', '/v1/Accounts/exotelacct1/calls/connect']) {
      const res = await call(base, path, { body: form(VOICE_AI) });
      assert.equal(res.status, 404, path);
    }
    assert.equal(fake.calls.size, 0);
    const res = await call(base, '/v1/accounts/exotelacct1/calls/connect.json', { body: form(VOICE_AI) });
    assert.equal(res.json.RestException.Status, 404);
  });
});

test('unknown or lower-case field names are rejected with 400 "unrecognised parameter"', async () => {
  await withFake(async (fake, base) => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ from: '09876543210', CallerId: '08047491899', StreamUrl: 'wss://b/x', StreamType: 'bidirectional' }, /Unrecognised parameter 'from'.*did you mean 'From'/],
      [{ From: '09876543210', callerid: '08047491899', StreamUrl: 'wss://b/x', StreamType: 'bidirectional' }, /Unrecognised parameter 'callerid'.*'CallerId'/],
      [{ ...VOICE_AI, streamurl: 'wss://b/x' }, /Unrecognised parameter 'streamurl'/],
      [{ ...VOICE_AI, Foo: 'bar' }, /^Unrecognised parameter 'Foo'$/],
      [{ ...VOICE_AI, 'statuscallbackevents[0]': 'terminal' }, /Unrecognised parameter 'statuscallbackevents\[0\]'.*'StatusCallbackEvents'/],
    ];
    for (const [fields, message] of cases) {
      const res = await call(base, `${CONNECT}.json`, { body: form(fields) });
      assert.equal(res.status, 400);
      assert.equal(res.json.RestException.Status, 400);
      assert.match(res.json.RestException.Message, message);
    }
    assert.equal(fake.calls.size, 0);
  });
});

test('Basic auth: missing, wrong or for another account gets 401', async () => {
  await withFake(async (fake, base) => {
    const wrong = `Basic ${Buffer.from('exotel_key:nope').toString('base64')}`;
    for (const [path, auth] of [
      [`${CONNECT}.json`, null],
      [`${CONNECT}.json`, wrong],
      [`${CONNECT}.json`, 'Bearer exotel_token'],
      ['/v1/Accounts/otheracct/Calls/connect.json', AUTH],
    ] as const) {
      const res = await call(base, path, { body: form(VOICE_AI), auth });
      assert.equal(res.status, 401);
      assert.match(res.json.RestException.Message, /Authentication failed/);
    }
    const xml = await call(base, CONNECT, { body: form(VOICE_AI), auth: wrong });
    assert.equal(xml.status, 401);
    assert.match(xml.text, /<TwilioResponse><RestException><Status>401<\/Status><Message>Authentication failed/);
    assert.equal(fake.calls.size, 0);
    assert.equal(fake.requests[1].headers.authorization, 'Basic ***');
    assert.equal(fake.requests[1].authorized, false);
    assert.deepEqual(fake.requests[1].fields[0], ['From', '09876543210'], 'fields are recorded even when refused');
  });
});

test('required fields, mutually exclusive Url/StreamUrl and value checks per mode', async () => {
  await withFake(async (fake, base) => {
    const flowUrl = 'http://my.exotel.com/exotelacct1/exoml/start_voice/123456';
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ From: '09876543210', CallerId: '08047491899' }, /one of Url, StreamUrl or To/],
      [{ From: '09876543210', StreamUrl: 'wss://b/x', StreamType: 'bidirectional' }, /Missing parameter: CallerId/],
      [{ CallerId: '08047491899', Url: flowUrl }, /Missing parameter: From/],
      [{ ...VOICE_AI, StreamType: '' }, /Missing parameter: StreamType/],
      [{ From: '09876543210', CallerId: '08047491899', StreamUrl: 'wss://b/x' }, /Missing parameter: StreamType/],
      [{ ...VOICE_AI, StreamType: 'unidirectional' }, /StreamType must be 'bidirectional'/],
      [{ ...VOICE_AI, Url: flowUrl }, /Url and StreamUrl cannot be used together/],
      [{ ...VOICE_AI, StreamUrl: `wss://b/${'x'.repeat(593)}` }, /longer than 600 characters \(601\)/],
      [{ ...VOICE_AI, StreamUrl: 'https://b/x' }, /ws:\/\/ or wss:\/\//],
      [{ From: '09876543210', CallerId: '08047491899', Url: 'https://bot.example.com/flow' }, /Exotel flow URL/],
      [{ From: '09876543210', CallerId: '08047491899', Url: flowUrl, StreamType: 'bidirectional' }, /StreamType is only for StreamUrl/],
      [{ ...VOICE_AI, CallType: 'trans' }, /CallType is only for Url/],
      [{ ...VOICE_AI, From: '98765-43210' }, /From number 98765-43210 is invalid/],
      [{ ...VOICE_AI, TimeLimit: '14401' }, /TimeLimit must be a whole number of seconds up to 14400/],
      [{ ...VOICE_AI, TimeLimit: '1.5' }, /TimeLimit/],
      [{ ...VOICE_AI, Record: 'yes' }, /Record must be one of true, false/],
      [{ ...VOICE_AI, CustomField: 'x'.repeat(129) }, /CustomField is longer than 128/],
      [{ ...VOICE_AI, StreamName: 'x'.repeat(33) }, /StreamName is longer than 32/],
      [{ ...VOICE_AI, StatusCallback: 'bot.example.com/status' }, /StatusCallback must be an http\(s\) URL/],
      [{ ...VOICE_AI, StatusCallbackEvents: 'hangup' }, /Invalid StatusCallbackEvents value 'hangup'/],
      [{ From: '09876543210', CallerId: '08047491899', Url: flowUrl, 'StatusCallbackEvents[]': 'ringing' }, /'ringing' is only for StreamUrl/],
      [{ ...VOICE_AI, StatusCallbackContentType: 'text/plain' }, /StatusCallbackContentType must be one of/],
    ];
    for (const [fields, message] of cases) {
      const res = await call(base, `${CONNECT}.json`, { body: form(fields) });
      assert.equal(res.status, 400, `${JSON.stringify(fields)} -> ${res.text}`);
      assert.match(res.json.RestException.Message, message);
    }
    const bad = await call(base, `${CONNECT}.json`, { body: form({ ...VOICE_AI, From: '12' }) });
    assert.equal(bad.json.RestException.Code, 34001);
    const repeated = await call(base, `${CONNECT}.json`, { body: `${form(VOICE_AI)}&From=09876543211` });
    assert.match(repeated.json.RestException.Message, /'From' given more than once/);
    const json = await call(base, `${CONNECT}.json`, { body: JSON.stringify(VOICE_AI), type: 'application/json' });
    assert.equal(json.status, 400);
    assert.match(json.json.RestException.Message, /Unsupported Content-Type 'application\/json'/);
    // A StreamUrl of exactly 600 characters is fine; so is connecting two numbers.
    const max = await call(base, `${CONNECT}.json`, { body: form({ ...VOICE_AI, StreamUrl: `wss://b/${'x'.repeat(592)}` }) });
    assert.equal(max.status, 200, max.text);
    const bridge = await call(base, `${CONNECT}.json`, { body: form({ From: '09876543210', To: '09123456789', CallerId: '08047491899' }) });
    assert.equal(bridge.status, 200, bridge.text);
    assert.equal(bridge.json.Call.To, '09123456789');
    assert.equal(fake.calls.size, 2);
  });
});

test('programmed failures apply to the next requests in order', async () => {
  await withFake(async (fake, base) => {
    fake.failNext(
      { kind: 'error', status: 403, message: 'AgentStream is not enabled for this account' },
      { kind: 'error', status: 500, message: 'Internal error', format: 'xml' },
      { kind: 'error', status: 502, message: 'Bad Gateway', format: 'html' },
      { kind: 'rate-limit', retryAfterSec: 7 },
      { kind: 'drop' },
    );
    const forbidden = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(forbidden.json, { RestException: { Status: 403, Message: 'AgentStream is not enabled for this account' } });
    const xml = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(xml.status, 500);
    assert.match(xml.text, /<RestException><Status>500<\/Status><Message>Internal error<\/Message><\/RestException>/);
    const html = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(html.status, 502);
    assert.match(html.type, /text\/html/);
    assert.match(html.text, /<title>502 Bad Gateway<\/title>/);
    const limited = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    await assert.rejects(call(base, `${CONNECT}.json`, { body: form(VOICE_AI) }), /fetch failed/);
    assert.equal(fake.calls.size, 0);
    assert.deepEqual(
      fake.requests.map((r) => r.status),
      [403, 500, 502, 429, 0],
    );
    const ok = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(ok.status, 200);
  });
});

test('a delayed answer still places the call', async () => {
  await withFake(async (fake, base) => {
    fake.failNext({ kind: 'delay', ms: 50 });
    const res = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(res.status, 200);
    assert.ok(fake.calls.has(res.json.Call.Sid));
  });
});

test('the rate limit really answers 429 with Retry-After, and frees up as the window slides', async () => {
  let clock = 1_000_000;
  await withFake(
    async (fake, base) => {
      for (let i = 0; i < 3; i++) assert.equal((await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) })).status, 200);
      clock += 20_000;
      const limited = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '40');
      assert.deepEqual(limited.json, { RestException: { Status: 429, Message: 'Rate limit exceeded' } });
      assert.equal(fake.calls.size, 3);
      clock += 40_000;
      assert.equal((await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) })).status, 200);
    },
    new FakeExotelRest({ rateLimit: { max: 3, windowMs: 60_000 }, now: () => clock }),
  );
});

test('the default rate limit is 200 per minute', async () => {
  const clock = 5_000_000;
  await withFake(
    async (fake, base) => {
      const statuses: number[] = [];
      for (let i = 0; i < 201; i++) statuses.push((await call(base, '/v1/Accounts/exotelacct1/Calls/0123456789abcdef0123456789abcdef.json')).status);
      assert.deepEqual(statuses.slice(0, 200), new Array(200).fill(404));
      assert.equal(statuses[200], 429);
      assert.equal(fake.requests.length, 201);
    },
    new FakeExotelRest({ now: () => clock }),
  );
});

test('call details reflect setCallStatus in the §15.10 shape; JSON and XML', async () => {
  let clock = Date.UTC(2026, 4, 14, 4, 30, 0);
  await withFake(
    async (fake, base) => {
      const dialled = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
      const sid = dialled.json.Call.Sid;
      const early = await call(base, `/v1/Accounts/exotelacct1/Calls/${sid}.json?details=true`);
      assert.equal(early.json.Call.Status, 'in-progress');
      assert.equal(early.json.Call.Details.ConversationDuration, 0);

      clock += 312_000;
      fake.setCallStatus(sid, { status: 'completed', conversationDurationSec: 300, durationSec: 312, recordingUrl: 'https://rec.example/x.mp3' });
      const res = await call(base, `/v1/Accounts/exotelacct1/Calls/${sid}.json?details=true`);
      assert.equal(res.status, 200);
      const c = res.json.Call;
      assert.equal(c.Sid, sid);
      assert.equal(c.Status, 'completed');
      assert.equal(c.DateUpdated, '2026-05-14 10:05:12');
      assert.equal(c.EndTime, '2026-05-14 10:05:12');
      assert.equal(c.Duration, '312');
      assert.equal(c.RecordingUrl, 'https://rec.example/x.mp3');
      assert.deepEqual(c.Details, {
        ConversationDuration: 300,
        Leg1Status: 'completed',
        Leg2Status: null,
        Legs: [{ Leg: { Id: 1, OnCallDuration: 312 } }],
      });
      const plain = await call(base, `/v1/Accounts/exotelacct1/Calls/${sid}.json`);
      assert.equal(plain.json.Call.Details, undefined);
      const xml = await call(base, `/v1/Accounts/exotelacct1/Calls/${sid}?details=true`);
      assert.match(xml.text, /<Details><ConversationDuration>300<\/ConversationDuration><Leg1Status>completed<\/Leg1Status><Leg2Status\/><Legs><Leg><Id>1<\/Id><OnCallDuration>312<\/OnCallDuration><\/Leg><\/Legs><\/Details>/);
      const missing = await call(base, '/v1/Accounts/exotelacct1/Calls/0123456789abcdef0123456789abcdef.json');
      assert.equal(missing.status, 404);
    },
    new FakeExotelRest({ now: () => clock }),
  );
});

interface Received {
  type: string;
  body: string;
  authorization: string | undefined;
  url: string;
}

async function withCallbackReceiver(fn: (url: string, received: Received[]) => Promise<void>): Promise<void> {
  const received: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString(), authorization: req.headers.authorization, url: req.url ?? '' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}/exotel/status/42?token=abc`, received);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function parseReceived(r: Received): Promise<Record<string, string>> {
  if (r.type.startsWith('application/json')) return JSON.parse(r.body);
  const fd = await new Response(r.body, { headers: { 'content-type': r.type } }).formData();
  return Object.fromEntries([...fd.entries()].map(([k, v]) => [k, String(v)]));
}

test('status callbacks go out like Exotel: JSON, form and multipart, Legs bracket-encoded, no auth', async () => {
  await withCallbackReceiver(async (url, received) => {
    await withFake(async (fake, base) => {
      const dialled = await call(base, `${CONNECT}.json`, {
        body: form({ ...VOICE_AI, StatusCallback: url, 'StatusCallbackEvents[0]': 'terminal', 'StatusCallbackEvents[1]': 'answered', CustomField: 'run-42' }),
      });
      const sid = dialled.json.Call.Sid;
      const answered = fake.statusCallbackFields(sid, 'answered');
      assert.equal(answered.Status, 'in-progress');
      assert.equal(answered.CustomField, undefined, 'CustomField rides only on terminal');
      assert.throws(() => fake.statusCallbackFields(sid, 'terminal'), /setCallStatus/);
      assert.throws(() => fake.statusCallbackFields('nope', 'terminal'), /no call nope/);
      await assert.rejects(fake.sendStatusCallback(sid, 'ringing'), /did not subscribe to 'ringing'/);

      fake.setCallStatus(sid, { status: 'completed', conversationDurationSec: 20, durationSec: 25, answeredBy: 'Human' });
      const fields = fake.statusCallbackFields(sid, 'terminal');
      for (const encoding of ['json', 'form', 'multipart'] as const) {
        const delivery = await fake.postStatusCallback(url, fields, encoding);
        assert.deepEqual(delivery, { status: 200, body: 'ok' });
      }
      await fake.sendStatusCallback(sid, 'terminal');
      assert.equal(received.length, 4);
      assert.match(received[0].type, /^application\/json/);
      assert.match(received[1].type, /^application\/x-www-form-urlencoded/);
      assert.match(received[2].type, /^multipart\/form-data; boundary=/);
      assert.match(received[3].type, /^multipart\/form-data/, 'Exotel posts multipart unless JSON was asked for');
      assert.ok(received.every((r) => r.authorization === undefined && r.url === '/exotel/status/42?token=abc'));

      const json = JSON.parse(received[0].body);
      assert.deepEqual(json, {
        CallSid: sid,
        DateUpdated: fields.DateUpdated,
        Status: 'completed',
        RecordingUrl: null,
        EventType: 'terminal',
        DateCreated: fields.DateCreated,
        To: null,
        From: '09876543210',
        PhoneNumberSid: '08047491899',
        StartTime: fields.StartTime,
        EndTime: fields.DateUpdated,
        ConversationDuration: 20,
        Direction: 'outbound-api',
        CustomField: 'run-42',
        Legs: [{ OnCallDuration: 25, Status: 'completed', AnsweredBy: 'Human' }],
      });
      assert.match(received[1].body, /Legs%5B0%5D%5BOnCallDuration%5D=25&Legs%5B0%5D%5BStatus%5D=completed&Legs%5B0%5D%5BAnsweredBy%5D=Human/);
      assert.match(received[1].body, /RecordingUrl=&/);
      for (const r of received.slice(1)) {
        const f = await parseReceived(r);
        assert.equal(f.CallSid, sid);
        assert.equal(f.EventType, 'terminal');
        assert.equal(f.ConversationDuration, '20');
        assert.equal(f['Legs[0][Status]'], 'completed');
        assert.equal(f.CustomField, 'run-42');
      }
    });
  });
});

test('a call dialled without events gets only the four default callback fields, as JSON when asked', async () => {
  await withCallbackReceiver(async (url, received) => {
    await withFake(async (fake, base) => {
      const dialled = await call(base, `${CONNECT}.json`, { body: form({ ...VOICE_AI, StatusCallback: url, StatusCallbackContentType: 'application/json' }) });
      const sid = dialled.json.Call.Sid;
      fake.setCallStatus(sid, { status: 'no-answer' });
      await fake.sendStatusCallback(sid, 'terminal');
      const body = JSON.parse(received[0].body);
      assert.deepEqual(Object.keys(body).sort(), ['CallSid', 'DateUpdated', 'RecordingUrl', 'Status']);
      assert.equal(body.Status, 'no-answer');
      await assert.rejects(fake.sendStatusCallback(sid, 'answered'), /did not subscribe/);
    });
  });
});

test('onDial hook failures surface from settled() and close()', async () => {
  const fake = new FakeExotelRest();
  const { baseUrl, close } = await fake.start();
  fake.onDial(() => {
    throw new Error('hook exploded');
  });
  const res = await call(baseUrl, `${CONNECT}.json`, { body: form(VOICE_AI) });
  assert.equal(res.status, 200, 'the dial answer does not wait for hooks');
  await assert.rejects(fake.settled(), /hook exploded/);
  await assert.rejects(close(), /hook exploded/);
});

test('a client hanging up halfway through its request does not disturb the fake', async () => {
  await withFake(async (fake, base) => {
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`POST ${CONNECT}.json HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nFrom=0987`);
    await new Promise((r) => setImmediate(r));
    socket.destroy();
    await new Promise<void>((r) => socket.once('close', () => r()));
    const res = await call(base, `${CONNECT}.json`, { body: form(VOICE_AI) });
    assert.equal(res.status, 200);
    assert.equal(fake.calls.size, 1);
  });
});

test('exotelTimestamp writes IST as YYYY-MM-DD HH:mm:ss', () => {
  assert.equal(exotelTimestamp(Date.UTC(2026, 4, 14, 4, 30, 0)), '2026-05-14 10:00:00');
  assert.equal(exotelTimestamp(Date.UTC(2026, 11, 31, 20, 0, 5)), '2027-01-01 01:30:05');
});
