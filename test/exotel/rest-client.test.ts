import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExotelApiError, ExotelRestClient, type ExotelErrorKind, type ExotelRestClientOptions } from '../../src/exotel/rest-client.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';

// Distinctive credentials, so a leak into any message is easy to spot.
const KEY = 'KEY-4f1c9a7e2b';
const TOKEN = 'TOKEN-9d3e5b8a61';
const BASIC = Buffer.from(`${KEY}:${TOKEN}`).toString('base64');

const VOICE_AI = {
  mode: 'voice-ai' as const,
  from: '+91 98765 43210',
  callerId: '080-4749-1899',
  streamUrl: 'wss://bot.example.com/media?sample-rate=8000',
};

async function withFake(fn: (fake: FakeExotelRest, client: (extra?: Partial<ExotelRestClientOptions>) => ExotelRestClient) => Promise<void>): Promise<void> {
  const fake = new FakeExotelRest({ apiKey: KEY, apiToken: TOKEN });
  const { baseUrl, close } = await fake.start();
  const client = (extra: Partial<ExotelRestClientOptions> = {}) =>
    new ExotelRestClient({ apiKey: KEY, apiToken: TOKEN, accountSid: 'exotelacct1', subdomain: 'api.in.exotel.com', baseUrl, retryDelayMs: 1, ...extra });
  try {
    await fn(fake, client);
  } finally {
    await close();
  }
}

/** Asserts an ExotelApiError of the given kind whose message and fields never carry the credentials. */
async function rejectsWith(promise: Promise<unknown>, kind: ExotelErrorKind, check: (e: ExotelApiError) => void = () => {}): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ExotelApiError, `expected ExotelApiError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    for (const secret of [KEY, TOKEN, BASIC]) {
      assert.ok(!err.message.includes(secret), `message leaks a credential: ${err.message}`);
      assert.ok(!err.url.includes(secret));
      assert.ok(!(err.exotelMessage ?? '').includes(secret));
    }
    check(err);
    return true;
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('Connect Voice AI dial: TitleCase form on the wire, parsed Call back', async () => {
  await withFake(async (fake, client) => {
    const call = await client().connectCall({
      ...VOICE_AI,
      record: false,
      timeLimitSec: 600,
      customField: 'run-42',
      statusCallback: 'https://bot.example.com/exotel/status/42?token=abc',
      statusCallbackEvents: ['terminal', 'answered'],
    });
    const [req] = fake.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/Accounts/exotelacct1/Calls/connect.json');
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.authorized, true);
    // §15.5 with numbers in the form toExotelNumber sends.
    assert.equal(
      req.body,
      'From=09876543210&CallerId=08047491899&StreamUrl=wss%3A%2F%2Fbot.example.com%2Fmedia%3Fsample-rate%3D8000&StreamType=bidirectional&Record=false&TimeLimit=600&CustomField=run-42&StatusCallback=https%3A%2F%2Fbot.example.com%2Fexotel%2Fstatus%2F42%3Ftoken%3Dabc&StatusCallbackEvents%5B0%5D=terminal&StatusCallbackEvents%5B1%5D=answered',
    );
    assert.match(call.Sid, /^[0-9a-f]{32}$/);
    assert.ok(fake.calls.has(call.Sid));
    assert.equal(call.Status, 'in-progress');
    assert.equal(call.From, '09876543210');
    assert.equal(call.PhoneNumberSid, '08047491899');
    assert.equal(call.To, null);
    assert.equal(call.Duration, null);
    assert.match(call.DateCreated ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(call.Details, undefined);
  });
});

test('flow dial: Url built from the app id, CallType=trans, TimeOut and JSON callbacks', async () => {
  await withFake(async (fake, client) => {
    const call = await client().connectCall({
      mode: 'flow',
      appId: '123456',
      from: '9876543210',
      callerId: '08047491899',
      timeOutSec: 30,
      timeLimitSec: 600,
      customField: 'run-42',
      statusCallback: 'https://bot.example.com/exotel/status/42',
      statusCallbackEvents: ['terminal'],
      statusCallbackContentType: 'application/json',
    });
    assert.equal(
      fake.requests[0].body,
      'From=09876543210&CallerId=08047491899&Url=http%3A%2F%2Fmy.exotel.com%2Fexotelacct1%2Fexoml%2Fstart_voice%2F123456&CallType=trans&TimeOut=30&TimeLimit=600&CustomField=run-42&StatusCallback=https%3A%2F%2Fbot.example.com%2Fexotel%2Fstatus%2F42&StatusCallbackEvents%5B0%5D=terminal&StatusCallbackContentType=application%2Fjson',
    );
    const dial = fake.call(call.Sid).dial;
    assert.equal(dial.mode, 'flow');
    assert.equal(dial.Url, 'http://my.exotel.com/exotelacct1/exoml/start_voice/123456');
  });
});

test('getCall with details reflects the final status, legs and conversation duration', async () => {
  await withFake(async (fake, client) => {
    const exotel = client();
    const placed = await exotel.connectCall(VOICE_AI);
    fake.setCallStatus(placed.Sid, { status: 'completed', conversationDurationSec: 300, durationSec: 312, recordingUrl: 'https://rec.example/a.mp3' });
    const call = await exotel.getCall(placed.Sid, { details: true });
    assert.equal(fake.requests[1].path, `/v1/Accounts/exotelacct1/Calls/${placed.Sid}.json`);
    assert.deepEqual(fake.requests[1].query, { details: 'true' });
    assert.equal(call.Status, 'completed');
    assert.equal(call.Duration, 312);
    assert.equal(call.RecordingUrl, 'https://rec.example/a.mp3');
    assert.equal(call.Price, '1.500');
    assert.deepEqual(call.Details, {
      ConversationDuration: 300,
      Leg1Status: 'completed',
      Leg2Status: null,
      Legs: [{ Leg: { Id: 1, OnCallDuration: 312, Status: null, AnsweredBy: null } }],
    });
    const plain = await exotel.getCall(placed.Sid);
    assert.equal(plain.Details, undefined);
    assert.deepEqual(fake.requests[2].query, {});
  });
});

test('rejections carry status, Exotel message and code; JSON, XML and HTML bodies', async () => {
  await withFake(async (fake, client) => {
    const exotel = client();
    fake.failNext({ kind: 'error', status: 400, message: 'From number +919812345678 is invalid', code: 34001 });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'rejected', (e) => {
      assert.equal(e.httpStatus, 400);
      assert.equal(e.exotelMessage, 'From number +919812345678 is invalid');
      assert.equal(e.exotelCode, 34001);
      assert.equal(e.attempts, 1);
      assert.equal(e.mayHaveReachedExotel, true);
      assert.match(e.message, /From number \+919812345678 is invalid \[code 34001\]/);
      assert.match(e.message, /HTTP 400, POST http:\/\/127\.0\.0\.1:\d+\/v1\/Accounts\/exotelacct1\/Calls\/connect\.json/);
    });
    fake.failNext({ kind: 'error', status: 403, message: 'AgentStream is not enabled', format: 'xml' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'rejected', (e) => {
      assert.equal(e.httpStatus, 403);
      assert.equal(e.exotelMessage, 'AgentStream is not enabled');
    });
    fake.failNext({ kind: 'error', status: 502, message: 'Bad Gateway', format: 'html' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'server', (e) => {
      assert.equal(e.httpStatus, 502);
      assert.match(e.message, /HTML page: 502 Bad Gateway/);
    });
    fake.failNext({ kind: 'answer', status: 500, body: 'upstream exploded', contentType: 'text/plain' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'server', (e) => assert.match(e.message, /upstream exploded/));
    fake.failNext({ kind: 'answer', status: 200, body: '{"RestException":{"Status":400,"Message":"Url is invalid"}}' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'rejected', (e) => assert.equal(e.httpStatus, 400));
    await rejectsWith(exotel.getCall('0123456789abcdef0123456789abcdef'), 'rejected', (e) => {
      assert.equal(e.httpStatus, 404);
      assert.match(e.exotelMessage ?? '', /not found/);
      assert.equal(e.attempts, 1, '4xx is not retried');
    });
    assert.equal(fake.calls.size, 0);
  });
});

test('wrong credentials: 401 rejected, and no credential appears anywhere in the error', async () => {
  await withFake(async (fake, client) => {
    const exotel = client({ apiToken: 'WRONG-TOKEN-77aa' });
    await assert.rejects(exotel.connectCall(VOICE_AI), (err: unknown) => {
      assert.ok(err instanceof ExotelApiError);
      assert.equal(err.kind, 'rejected');
      assert.equal(err.httpStatus, 401);
      assert.match(err.exotelMessage ?? '', /Authentication failed/);
      const all = `${err.message} ${err.url} ${err.stack}`;
      for (const secret of [KEY, 'WRONG-TOKEN-77aa', Buffer.from(`${KEY}:WRONG-TOKEN-77aa`).toString('base64')]) {
        assert.ok(!all.includes(secret), `leaked ${secret}`);
      }
      return true;
    });
    assert.equal(fake.requests[0].authorized, false);
  });
});

test('credentials echoed back by a proxy are masked in the error', async () => {
  await withFake(async (fake, client) => {
    fake.failNext({
      kind: 'answer',
      status: 400,
      contentType: 'text/html',
      body: `<html><head><title>Bad request from ${KEY}:${TOKEN} (Authorization: Basic ${BASIC})</title></head></html>`,
    });
    await rejectsWith(client().connectCall(VOICE_AI), 'rejected', (e) => {
      assert.match(e.message, /Bad request from \*\*\*:\*\*\* \(Authorization: Basic \*\*\*\)/);
    });
    fake.failNext({ kind: 'error', status: 400, message: `token ${TOKEN} rejected` });
    await rejectsWith(client().connectCall(VOICE_AI), 'rejected', (e) => assert.equal(e.exotelMessage, 'token *** rejected'));
  });
  assert.throws(
    () => new ExotelRestClient({ apiKey: KEY, apiToken: TOKEN, accountSid: 'a', subdomain: 'x', baseUrl: `https://${KEY}:${TOKEN}@api.exotel.com` }),
    (err: Error) => /must not contain credentials/.test(err.message) && !err.message.includes(TOKEN),
  );
});

test('429 is rate-limited with Retry-After, and a dial is not retried', async () => {
  await withFake(async (fake, client) => {
    fake.failNext({ kind: 'rate-limit', retryAfterSec: 12 });
    await rejectsWith(client().connectCall(VOICE_AI), 'rate-limited', (e) => {
      assert.equal(e.httpStatus, 429);
      assert.equal(e.retryAfterSec, 12);
      assert.match(e.message, /retry after 12 s/);
    });
    assert.equal(fake.requests.length, 1);
    // The fake's own limiter, not a programmed failure.
    fake.setRateLimit(1);
    await client().connectCall(VOICE_AI);
    await rejectsWith(client().connectCall(VOICE_AI), 'rate-limited', (e) => assert.ok((e.retryAfterSec ?? 0) >= 1));
  });
});

test('a dial that times out is not retried, and Exotel may still have placed it', async () => {
  await withFake(async (fake, client) => {
    const placed = new Promise<string>((resolve) => fake.onDial((d) => resolve(d.Sid)));
    // The client's timer starts before the fake even receives the request, so it always fires first.
    fake.failNext({ kind: 'delay', ms: 400 });
    await rejectsWith(client({ timeoutMs: 100 }).connectCall(VOICE_AI), 'timeout', (e) => {
      assert.equal(e.attempts, 1);
      assert.equal(e.mayHaveReachedExotel, true);
      assert.match(e.message, /no answer within 100 ms/);
    });
    const sid = await placed;
    assert.equal(fake.requests.length, 1, 'exactly one dial reached Exotel');
    assert.ok(fake.calls.has(sid), 'the call was placed although the client gave up');
  });
});

test('a dial whose connection drops is not retried (outcome unknown)', async () => {
  await withFake(async (fake, client) => {
    fake.failNext({ kind: 'drop' });
    await rejectsWith(client().connectCall(VOICE_AI), 'connection-lost', (e) => {
      assert.equal(e.attempts, 1);
      assert.equal(e.mayHaveReachedExotel, true);
    });
    assert.equal(fake.requests.length, 1);
  });
});

test('a dial answered 5xx is not retried', async () => {
  await withFake(async (fake, client) => {
    fake.failNext({ kind: 'error', status: 503, message: 'Service Unavailable' });
    await rejectsWith(client().connectCall(VOICE_AI), 'server', (e) => assert.equal(e.httpStatus, 503));
    assert.equal(fake.requests.length, 1);
  });
});

test('getCall retries once on 5xx, timeout or a dropped connection, and gives up after the second failure', async () => {
  await withFake(async (fake, client) => {
    const exotel = client({ timeoutMs: 100 });
    const { Sid } = await exotel.connectCall(VOICE_AI);
    fake.failNext({ kind: 'error', status: 500, message: 'oops' });
    assert.equal((await exotel.getCall(Sid)).Sid, Sid);
    fake.failNext({ kind: 'delay', ms: 400 });
    assert.equal((await exotel.getCall(Sid)).Sid, Sid);
    fake.failNext({ kind: 'drop' });
    assert.equal((await exotel.getCall(Sid)).Sid, Sid);
    assert.equal(fake.requests.length, 1 + 2 + 2 + 2);
    fake.failNext({ kind: 'error', status: 500, message: 'oops' }, { kind: 'error', status: 502, message: 'still down' });
    await rejectsWith(exotel.getCall(Sid), 'server', (e) => {
      assert.equal(e.attempts, 2);
      assert.equal(e.exotelMessage, 'still down');
    });
    assert.equal(fake.requests.length, 9);
  });
});

test('connection refused: exactly one retry, then unreachable (Exotel certainly never saw it)', async () => {
  const port = await closedPort();
  let fetches = 0;
  const sleeps: number[] = [];
  const exotel = new ExotelRestClient({
    apiKey: KEY,
    apiToken: TOKEN,
    accountSid: 'exotelacct1',
    subdomain: 'api.in.exotel.com',
    baseUrl: `http://127.0.0.1:${port}`,
    retryDelayMs: 250,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    fetch: (input, init) => {
      fetches++;
      return fetch(input, init);
    },
  });
  await rejectsWith(exotel.connectCall(VOICE_AI), 'unreachable', (e) => {
    assert.equal(e.attempts, 2);
    assert.equal(e.mayHaveReachedExotel, false);
    assert.match(e.message, /could not connect \(ECONNREFUSED\)/);
  });
  assert.equal(fetches, 2);
  assert.deepEqual(sleeps, [250]);
});

test('connection refused, then Exotel is back: the retried dial succeeds', async () => {
  const port = await closedPort();
  const fake = new FakeExotelRest({ apiKey: KEY, apiToken: TOKEN, port });
  const exotel = new ExotelRestClient({
    apiKey: KEY,
    apiToken: TOKEN,
    accountSid: 'exotelacct1',
    subdomain: 'api.in.exotel.com',
    baseUrl: `http://127.0.0.1:${port}`,
    // The pause before the retry is when Exotel comes back.
    sleep: async () => {
      await fake.start();
    },
  });
  try {
    const call = await exotel.connectCall(VOICE_AI);
    assert.equal(fake.requests.length, 1);
    assert.ok(fake.calls.has(call.Sid));
  } finally {
    await fake.close();
  }
});

test('DNS failure is unreachable and retried once', async () => {
  let fetches = 0;
  const exotel = new ExotelRestClient({
    apiKey: KEY,
    apiToken: TOKEN,
    accountSid: 'exotelacct1',
    subdomain: 'api.in.exotel.invalid',
    sleep: async () => {},
    // What undici throws when getaddrinfo fails.
    fetch: async () => {
      fetches++;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.in.exotel.invalid'), { code: 'ENOTFOUND' }) });
    },
  });
  await rejectsWith(exotel.connectCall(VOICE_AI), 'unreachable', (e) => {
    assert.match(e.message, /ENOTFOUND/);
    assert.equal(e.url, 'https://api.in.exotel.invalid/v1/Accounts/exotelacct1/Calls/connect.json');
  });
  assert.equal(fetches, 2);
});

test('answers that are not a Call are bad-response, with what was wrong', async () => {
  await withFake(async (fake, client) => {
    const exotel = client();
    fake.failNext({ kind: 'answer', status: 200, body: '{"call":{"sid":"abc","status":"in-progress"}}' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'bad-response', (e) => {
      assert.match(e.message, /answer is not a Call: Call: /);
      assert.match(e.message, /"call":\{"sid":"abc"/);
    });
    fake.failNext({ kind: 'answer', status: 200, body: '{"Call":{"Sid":"abc","Status":"in-progress","Duration":"soon"}}' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'bad-response', (e) => assert.match(e.message, /Call\.Duration: expected a number, got "soon"/));
    fake.failNext({ kind: 'answer', status: 200, body: '<?xml version="1.0"?><TwilioResponse><Call><Sid>abc</Sid></Call></TwilioResponse>', contentType: 'application/xml' });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'bad-response', (e) => assert.match(e.message, /expected JSON, got application\/xml/));
    fake.failNext({ kind: 'answer', status: 302, body: '', headers: { location: 'https://login.example/' } });
    await rejectsWith(exotel.connectCall(VOICE_AI), 'bad-response', (e) => assert.equal(e.httpStatus, 302));
    const { Sid } = await exotel.connectCall(VOICE_AI);
    fake.failNext({ kind: 'answer', status: 200, body: JSON.stringify({ Call: { Sid: 'ffffffffffffffffffffffffffffffff', Status: 'completed' } }) });
    await rejectsWith(exotel.getCall(Sid), 'bad-response', (e) => assert.match(e.message, new RegExp(`about call f{32}, not ${Sid}`)));
    assert.equal(fake.requests.length, 6, 'bad responses are not retried');
  });
});

test('unknown status words and extra fields do not turn a placed call into an error', async () => {
  await withFake(async (fake, client) => {
    fake.failNext({
      kind: 'answer',
      status: 200,
      body: JSON.stringify({ Call: { Sid: '0123456789abcdef0123456789abcdef', Status: 'dialing', Brand: 'new', Duration: 7 } }),
    });
    const call = await client().connectCall(VOICE_AI);
    assert.equal(call.Status, 'dialing');
    assert.equal(call.Duration, 7);
    assert.equal(call.EndTime, null);
  });
});

test('requests Exotel would refuse are not sent: StreamUrl length, numbers, limits', async () => {
  await withFake(async (fake, client) => {
    const exotel = client();
    const at600 = `wss://bot.example.com/${'x'.repeat(600 - 'wss://bot.example.com/'.length)}`;
    assert.equal(at600.length, 600);
    await exotel.connectCall({ ...VOICE_AI, streamUrl: at600 });
    assert.equal(fake.requests.length, 1);

    const cases: Array<[Parameters<ExotelRestClient['connectCall']>[0], RegExp]> = [
      [{ ...VOICE_AI, streamUrl: `${at600}y` }, /StreamUrl is 601 characters; Exotel accepts at most 600/],
      [{ ...VOICE_AI, streamUrl: 'https://bot.example.com/media' }, /ws:\/\/ or wss:\/\//],
      [{ ...VOICE_AI, from: '98765' }, /From: invalid phone number "98765": too few digits/],
      [{ ...VOICE_AI, callerId: 'exophone' }, /CallerId: .*letters are not allowed/],
      [{ ...VOICE_AI, timeLimitSec: 14401 }, /TimeLimit must be a whole number of seconds from 1 to 14400, got 14401/],
      [{ ...VOICE_AI, timeLimitSec: 0 }, /TimeLimit/],
      [{ ...VOICE_AI, customField: 'x'.repeat(129) }, /CustomField is longer than 128/],
      [{ ...VOICE_AI, streamName: 'x'.repeat(33) }, /StreamName is longer than 32/],
      [{ ...VOICE_AI, statusCallback: '/relative' }, /StatusCallback must be an absolute http\(s\) URL/],
      [{ mode: 'flow', appId: '123456', from: '9876543210', callerId: '08047491899', statusCallbackEvents: ['ringing'] }, /'ringing' status callback exists only for Connect Voice AI/],
      [{ mode: 'flow', appId: '../calls', from: '9876543210', callerId: '08047491899' }, /not a flow app id/],
      [{ mode: 'flow', appId: '1', from: '9876543210', callerId: '08047491899', timeOutSec: 2.5 }, /TimeOut must be a whole number/],
    ];
    for (const [req, message] of cases) {
      await rejectsWith(exotel.connectCall(req), 'invalid-request', (e) => {
        assert.match(e.message, message);
        assert.equal(e.attempts, 0);
        assert.equal(e.mayHaveReachedExotel, false);
      });
    }
    await rejectsWith(exotel.getCall('../../Accounts'), 'invalid-request');
    assert.equal(fake.requests.length, 1, 'nothing invalid was sent');
  });
});
