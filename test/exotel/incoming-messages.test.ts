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
