import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createParseScratch, parseInbound, type ParseResult } from '../../src/exotel/incoming-messages.js';
import { createMessageEncoder } from '../../src/exotel/outgoing-messages.js';

const scratch = createParseScratch();

/** Never throws, and answers a well-formed result. */
function parses(data: string | Buffer, isBinary = false): ParseResult {
  const r = parseInbound(data, isBinary, scratch);
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.equal(typeof r.reason, 'string');
  return r;
}

const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const loose = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 4 }));
const event = fc.oneof(fc.constantFrom('connected', 'start', 'media', 'dtmf', 'mark', 'stop', 'clear', 'MEDIA', 'Start'), fc.string(), fc.integer());
const base64ish = fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')));

/** Objects shaped like Exotel's messages, with every field maybe missing, mistyped or spelled the other way. */
const exotelShaped = fc.record(
  {
    event,
    sequence_number: loose,
    stream_sid: loose,
    streamSid: loose,
    start: fc.record(
      {
        stream_sid: loose,
        call_sid: loose,
        callSid: loose,
        account_sid: loose,
        from: loose,
        to: loose,
        custom_parameters: loose,
        customParameters: loose,
        media_format: fc.oneof(loose, fc.record({ sample_rate: fc.oneof(loose, fc.constantFrom('8000', '16k', '16 kHz', 24000, 'Infinity', '-1')), encoding: loose }, { requiredKeys: [] })),
        mediaFormat: loose,
      },
      { requiredKeys: [] },
    ),
    media: fc.oneof(loose, fc.record({ payload: fc.oneof(base64ish, loose), chunk: loose, timestamp: loose, sequenceNumber: loose }, { requiredKeys: [] })),
    dtmf: fc.oneof(loose, fc.record({ digit: loose, digits: loose, duration: loose }, { requiredKeys: [] })),
    mark: fc.oneof(loose, fc.record({ name: loose }, { requiredKeys: [] })),
    stop: fc.oneof(loose, fc.record({ call_sid: loose, reason: loose }, { requiredKeys: [] })),
  },
  { requiredKeys: ['event'] },
);

test('the inbound codec never throws on arbitrary strings and bytes', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
      parses(text);
      parses(Buffer.from(text));
    }),
    { numRuns: 500 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, isBinary) => void parses(Buffer.from(bytes), isBinary)), { numRuns: 300 });
});

test('the inbound codec never throws on arbitrary JSON values', () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => void parses(JSON.stringify(value) ?? 'null')), { numRuns: 500 });
});

test('messages shaped like Exotel: never a throw, and what is accepted is typed', () => {
  fc.assert(
    fc.property(exotelShaped, (msg) => {
      const r = parses(JSON.stringify(msg));
      if (!r.ok) return;
      const m = r.msg;
      if (m.event === 'media') {
        assert.ok(Buffer.isBuffer(m.payload));
        assert.equal(m.payload.length % 2, 0, 'whole PCM16 samples only');
      } else if (m.event === 'start') {
        for (const [k, v] of Object.entries(m.customParameters)) assert.equal(typeof v, 'string', k);
        if (m.sampleRate !== undefined) assert.ok(Number.isFinite(m.sampleRate) && m.sampleRate > 0);
      } else if (m.event === 'dtmf') assert.match(m.digit, /^[0-9*#A-D]$/);
      else if (m.event === 'mark') assert.ok(m.name.length > 0);
      if ('seq' in m && m.seq !== undefined) assert.ok(Number.isInteger(m.seq));
    }),
    { numRuns: 1000 },
  );
});

test('what the outgoing encoder emits, the inbound codec reads back unchanged', () => {
  fc.assert(
    fc.property(
      fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined }),
      fc.uint8Array({ minLength: 1, maxLength: 4000 }).filter((b) => b.length % 2 === 0),
      fc.string({ minLength: 1, maxLength: 64 }),
      (sid, pcm, markName) => {
        const enc = createMessageEncoder(sid);
        const media = parses(enc.media(Buffer.from(pcm)));
        assert.ok(media.ok && media.msg.event === 'media' && media.warning === undefined);
        assert.deepEqual(new Uint8Array(media.msg.payload), pcm);
        const mark = parses(enc.mark(markName));
        assert.ok(mark.ok && mark.msg.event === 'mark');
        assert.equal(mark.msg.name, markName);
        const clear = parses(enc.clear());
        assert.ok(clear.ok && clear.msg.event === 'clear');
        for (const text of [enc.media(Buffer.from(pcm)), enc.mark(markName), enc.clear()]) {
          const obj = JSON.parse(text) as { stream_sid?: string };
          assert.equal(obj.stream_sid, sid, 'the canonical stream_sid, or none');
        }
      },
    ),
    { numRuns: 300 },
  );
});
