import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParseScratch, parseInbound, parseSampleRate } from '../../src/exotel/incoming-messages.js';
import { createMessageEncoder } from '../../src/exotel/outgoing-messages.js';

const scratch = createParseScratch();
const parse = (v: unknown) => parseInbound(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), false, scratch);
const SID = '6f048d2e897a0d2d4029560f3f541947';
const CALL = 'b6cfaf5f5cef3ca0fc937749ef96d245';

test('canonical start (spec §15.1)', () => {
  const r = parse({
    event: 'start',
    sequence_number: '1',
    stream_sid: SID,
    start: {
      stream_sid: SID,
      call_sid: CALL,
      account_sid: 'exotelacct1',
      from: '+919876543210',
      to: '08047491899',
      custom_parameters: { session_type: 'support', agent_id: '42' },
      media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
    },
  });
  assert.deepEqual(r, {
    ok: true,
    msg: {
      event: 'start',
      seq: 1,
      streamSid: SID,
      callSid: CALL,
      accountSid: 'exotelacct1',
      from: '+919876543210',
      to: '08047491899',
      customParameters: { session_type: 'support', agent_id: '42' },
      sampleRate: 8000,
    },
  });
});

test('start variants: live shape, numbers, camelCase, leg_sid only, key-only custom parameter (spec §15.2)', () => {
  const live = parse(
    `{"event":"start","stream_sid":"${SID}","sequence_number":"1","start":{"stream_sid":"${SID}","call_sid":"${CALL}","leg_sid":"c0ffee","account_sid":"a","from":"09876543210","to":"08047491899","custom_parameters":{"voice/0001":""},"media_format":{"encoding":"base64","sample_rate":8000,"bit_rate":"128kbps"}}}`,
  );
  assert.ok(live.ok && live.msg.event === 'start');
  assert.equal(live.msg.sampleRate, 8000);
  assert.deepEqual(live.msg.customParameters, { 'voice/0001': '' });

  const numeric = parse({ event: 'start', sequence_number: 1, stream_sid: SID, start: { stream_sid: SID, call_sid: CALL, media_format: { sample_rate: '16000' } } });
  assert.ok(numeric.ok && numeric.msg.event === 'start');
  assert.equal(numeric.msg.seq, 1);
  assert.equal(numeric.msg.sampleRate, 16000);

  const camel = parse({ event: 'start', streamSid: SID, start: { streamSid: SID, callSid: CALL, mediaFormat: { encoding: 'audio/x-raw', sampleRate: 24000 } } });
  assert.ok(camel.ok && camel.msg.event === 'start');
  assert.equal(camel.msg.streamSid, SID);
  assert.equal(camel.msg.callSid, CALL);
  assert.equal(camel.msg.sampleRate, 24000);

  const legOnly = parse({ event: 'start', start: { leg_sid: 'leg1', custom_parameters: 'a=1&b=2' } });
  assert.ok(legOnly.ok && legOnly.msg.event === 'start');
  assert.equal(legOnly.msg.callSid, 'leg1');
  assert.deepEqual(legOnly.msg.customParameters, { a: '1', b: '2' });
  assert.equal(legOnly.msg.sampleRate, undefined, 'no media_format: the caller falls back to the URL rate');
});

test('sample rates: strings, numbers, Hz suffixes; unsupported rates are not guessed', () => {
  for (const [v, want] of [['8000', 8000], [16000, 16000], ['24000Hz', 24000], ['16kHz', 16000], ['8 khz', 8000], ['44100', undefined], ['abc', undefined], [null, undefined]] as const) {
    assert.equal(parseSampleRate(v), want, String(v));
  }
});

test('media: payload decoded, fields as strings or numbers, sequenceNumber variant', () => {
  const pcm = Buffer.from(new Int16Array([1, -2, 300, -32768]).buffer);
  const r = parse({ event: 'media', stream_sid: SID, sequenceNumber: '7', media: { payload: pcm.toString('base64'), timestamp: '2000', chunk: 7 } });
  assert.ok(r.ok && r.msg.event === 'media');
  assert.equal(r.msg.seq, 7);
  assert.equal(r.msg.chunk, 7);
  assert.equal(r.msg.timestampMs, 2000);
  assert.deepEqual(Buffer.from(r.msg.payload), pcm);
  assert.equal(r.msg.payload.byteOffset % 2, 0, 'payload can be viewed as Int16Array');
});

test('media: unpadded base64 is accepted; invalid base64 and missing payload are rejected', () => {
  const pcm = Buffer.from([1, 2, 3, 4]);
  const unpadded = pcm.toString('base64').replace(/=+$/, '');
  const ok = parse({ event: 'media', media: { payload: unpadded } });
  assert.ok(ok.ok && ok.msg.event === 'media');
  assert.deepEqual(Buffer.from(ok.msg.payload), pcm);
  assert.deepEqual(parse({ event: 'media', media: { payload: 'AAA!AAAA' } }), { ok: false, reason: 'invalid-base64', detail: 'media.payload is not valid base64' });
  assert.equal((parse({ event: 'media', media: { payload: 'A' } }) as { reason: string }).reason, 'invalid-base64');
  assert.equal((parse({ event: 'media', media: {} }) as { reason: string }).reason, 'media-without-payload');
  assert.equal((parse({ event: 'media' }) as { reason: string }).reason, 'media-without-payload');
});

test('media: an odd-length payload keeps its whole samples and warns', () => {
  const r = parse({ event: 'media', media: { payload: Buffer.from([1, 0, 2, 0, 9]).toString('base64') } });
  assert.ok(r.ok && r.msg.event === 'media');
  assert.equal(r.warning, 'odd-length-payload');
  assert.equal(r.msg.payload.length, 4);
});

test('dtmf, mark and stop in their documented and variant shapes', () => {
  assert.deepEqual(parse({ event: 'dtmf', sequence_number: 1, stream_sid: SID, dtmf: { duration: '200', digit: '#' } }), {
    ok: true,
    msg: { event: 'dtmf', seq: 1, digit: '#', durationMs: 200 },
  });
  assert.equal((parse({ event: 'dtmf', dtmf: { digit: '"5"' } }) as { ok: true; msg: { digit: string } }).msg.digit, '5');
  assert.equal((parse({ event: 'dtmf', dtmf: { digit: 'x' } }) as { reason: string }).reason, 'dtmf-without-digit');
  assert.deepEqual(parse({ event: 'mark', sequence_number: '5', stream_sid: SID, mark: { name: 'greeting-end' } }), {
    ok: true,
    msg: { event: 'mark', seq: 5, name: 'greeting-end' },
  });
  assert.equal((parse({ event: 'mark', mark: {} }) as { reason: string }).reason, 'mark-without-name');
  assert.deepEqual(parse({ event: 'stop', stream_sid: SID, stop: { reason: 'callended' } }), {
    ok: true,
    msg: { event: 'stop', seq: undefined, callSid: undefined, reason: 'callended' },
  });
  assert.deepEqual(parse({ event: 'connected', protocol: 'Call', version: '1.0.0' }), { ok: true, msg: { event: 'connected' } });
});

test('garbage is rejected with a reason, never thrown', () => {
  assert.equal((parse('not json') as { reason: string }).reason, 'not-json');
  assert.equal((parse('[1,2]') as { reason: string }).reason, 'not-object');
  assert.equal((parse('null') as { reason: string }).reason, 'not-object');
  assert.equal((parse({ event: 'dance' }) as { reason: string }).reason, 'unknown-event');
  assert.equal((parse({ no: 'event' }) as { reason: string }).reason, 'unknown-event');
  assert.equal((parseInbound(Buffer.from('{}'), true, scratch) as { reason: string }).reason, 'binary-frame');
  assert.equal((parseInbound(Buffer.alloc(1024 * 1024 + 1, 32), false, scratch) as { reason: string }).reason, 'too-large');
});

test('outbound messages are canonical (spec §15.3)', () => {
  const enc = createMessageEncoder(SID);
  const pcm = Buffer.alloc(3200);
  assert.deepEqual(JSON.parse(enc.media(pcm)), { event: 'media', stream_sid: SID, media: { payload: pcm.toString('base64') } });
  assert.deepEqual(JSON.parse(enc.mark('greeting-end')), { event: 'mark', stream_sid: SID, mark: { name: 'greeting-end' } });
  assert.deepEqual(JSON.parse(enc.clear()), { event: 'clear', stream_sid: SID });
  const anonymous = createMessageEncoder(undefined);
  assert.deepEqual(JSON.parse(anonymous.clear()), { event: 'clear' });
  assert.deepEqual(JSON.parse(createMessageEncoder('a"b').mark('x"y')), { event: 'mark', stream_sid: 'a"b', mark: { name: 'x"y' } });
});

// ---- bounded parsing ----------------------------------------------------------------------------------

const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const startWith = (custom: string) =>
  `{"event":"start","stream_sid":"${SID}","start":{"stream_sid":"${SID}","call_sid":"${CALL}","custom_parameters":${custom}}}`;

test('a 10,000-deep custom_parameters value is dropped with a report, the start kept', () => {
  const r = parse(startWith(`{"agent":"support","bomb":${deep(10_000)}}`));
  assert.equal(r.ok, true);
  if (!r.ok || r.msg.event !== 'start') return;
  assert.equal(r.warning, 'custom-parameters-trimmed');
  assert.equal(r.msg.callSid, CALL);
  assert.deepEqual(r.msg.customParameters, { agent: 'support' });
  assert.deepEqual(r.msg.customParametersDropped, { count: 1, reasons: ['too-deep'], keys: ['bomb'] });
});

test('a 10,000-deep custom_parameters JSON string, or the whole field that deep, never throws', () => {
  const inString = parse(startWith(JSON.stringify(`{"bomb":${deep(10_000)}}`)));
  assert.ok(inString.ok && inString.msg.event === 'start' && inString.msg.customParametersDropped?.reasons.includes('too-deep'));
  const whole = parse(startWith(deep(10_000)));
  assert.ok(whole.ok && whole.msg.event === 'start');
  if (whole.ok && whole.msg.event === 'start') assert.deepEqual(whole.msg.customParameters, {});
});

test('a 10,000-deep message elsewhere is rejected as too-deep', () => {
  const r = parse(`{"event":"media","media":{"payload":"AAAA","extra":${deep(10_000)}}}`);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, 'too-deep');
  const arr = parse('['.repeat(100_000) + ']'.repeat(100_000));
  assert.equal(arr.ok, false);
});

test('custom_parameters keep nested values up to depth 4 as JSON text', () => {
  const r = parse(startWith('{"a":{"b":{"c":[1]}},"d":{"e":{"f":{"g":{}}}},"n":null,"t":true,"x":7}'));
  assert.ok(r.ok && r.msg.event === 'start');
  if (!r.ok || r.msg.event !== 'start') return;
  assert.deepEqual(r.msg.customParameters, { a: '{"b":{"c":[1]}}', n: '', t: 'true', x: '7' });
  assert.deepEqual(r.msg.customParametersDropped?.keys, ['d']);
});

test('custom_parameters: at most 64 keys, values at most 2 KB, keys at most 256', () => {
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, String(i)]));
  const r = parse(startWith(JSON.stringify(many)));
  assert.ok(r.ok && r.msg.event === 'start');
  if (!r.ok || r.msg.event !== 'start') return;
  assert.equal(Object.keys(r.msg.customParameters).length, 64);
  assert.equal(r.msg.customParameters.k63, '63');
  assert.equal(r.msg.customParametersDropped?.count, 36);
  assert.deepEqual(r.msg.customParametersDropped?.reasons, ['too-many-keys']);

  const sizes = parse(startWith(JSON.stringify({ ok: 'x'.repeat(2048), big: 'x'.repeat(2049), ['k'.repeat(300)]: '1', nested: { s: 'y'.repeat(3000) } })));
  assert.ok(sizes.ok && sizes.msg.event === 'start');
  if (!sizes.ok || sizes.msg.event !== 'start') return;
  assert.deepEqual(Object.keys(sizes.msg.customParameters), ['ok']);
  assert.deepEqual(new Set(sizes.msg.customParametersDropped?.reasons), new Set(['value-too-long', 'key-too-long']));
  assert.ok(sizes.msg.customParametersDropped!.keys.every((k) => k.length <= 64));

  const query = parse(startWith(JSON.stringify(`a=1&b=${'z'.repeat(5000)}&c=3`)));
  assert.ok(query.ok && query.msg.event === 'start');
  if (query.ok && query.msg.event === 'start') assert.deepEqual(query.msg.customParameters, { a: '1', c: '3' });
});

test('hostile keys never reach a prototype', () => {
  const hostile = [
    startWith('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"agent":"a"}'),
    startWith(JSON.stringify('{"__proto__":{"polluted":"yes"}}')),
    startWith(JSON.stringify('__proto__=polluted&prototype=x&agent=b')),
    '{"event":"start","__proto__":{"polluted":"yes"},"start":{"__proto__":{"polluted":"yes"},"media_format":{"__proto__":{"polluted":1}}}}',
  ];
  for (const text of hostile) {
    const r = parse(text);
    assert.ok(r.ok && r.msg.event === 'start', text);
    if (!r.ok || r.msg.event !== 'start') continue;
    assert.equal(Object.getPrototypeOf(r.msg.customParameters), Object.prototype);
    for (const k of ['__proto__', 'constructor', 'prototype']) assert.equal(Object.hasOwn(r.msg.customParameters, k), false, k);
    // Merging what we parsed must not pollute either.
    Object.assign({}, r.msg.customParameters, r.msg);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  }
  const first = parse(hostile[0]);
  assert.ok(first.ok && first.msg.event === 'start' && first.msg.customParameters.agent === 'a');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('limits on the rest of a message: keys, items, long strings outside media', () => {
  const keys = parse(JSON.stringify({ event: 'mark', mark: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 1])) }));
  assert.equal(keys.ok ? 'ok' : keys.reason, 'too-many-keys');
  const items = parse(JSON.stringify({ event: 'mark', mark: { name: 'x', list: Array.from({ length: 65 }, () => 1) } }));
  assert.equal(items.ok ? 'ok' : items.reason, 'too-many-items');
  const weird = parse(JSON.stringify({ event: 'x\r\n\u0000'.repeat(100) }));
  assert.ok(!weird.ok && weird.reason === 'unknown-event');
  if (!weird.ok) assert.doesNotMatch(weird.detail, /[\r\n\u0000]/);
  // A media payload near the message limit is still accepted.
  const payload = Buffer.alloc(600_000).toString('base64');
  const media = parse(JSON.stringify({ event: 'media', media: { payload } }));
  assert.ok(media.ok && media.msg.event === 'media' && media.msg.payload.length === 600_000);
});
