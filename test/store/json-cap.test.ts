import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capJson } from '../../src/store/json-cap.js';

test('small objects are serialized untouched', () => {
  assert.deepEqual(capJson({ a: 1, b: 'x' }, 4096), { json: '{"a":1,"b":"x"}', truncated: false });
  assert.deepEqual(capJson(undefined, 4096), { json: '{}', truncated: false });
});

test('an oversized string is cut so the result fits, keeping earlier keys', () => {
  const r = capJson({ digit: '5', payload: 'p'.repeat(10_000), after: 1 }, 4096);
  assert.equal(r.truncated, true);
  assert.ok(Buffer.byteLength(r.json) <= 4096, `${Buffer.byteLength(r.json)} bytes`);
  const parsed = JSON.parse(r.json);
  assert.equal(parsed.digit, '5');
  assert.match(parsed.payload, /^p+$/);
  assert.ok(parsed.payload.length > 3000);
  assert.equal('after' in parsed, false);
});

test('the cap counts UTF-8 bytes, not characters', () => {
  const r = capJson({ text: 'नमस्ते'.repeat(1000) }, 4096);
  assert.equal(r.truncated, true);
  assert.ok(Buffer.byteLength(r.json) <= 4096);
  assert.ok(JSON.parse(r.json).text.length > 500);
});

test('an oversized non-string value is dropped', () => {
  const r = capJson({ id: 7, blob: Array.from({ length: 2000 }, (_, i) => i) }, 1024);
  assert.deepEqual(JSON.parse(r.json), { id: 7 });
  assert.equal(r.truncated, true);
});

test('values JSON cannot represent throw', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => capJson(cyclic, 4096), TypeError);
  assert.throws(() => capJson({ n: 1n }, 4096), TypeError);
});
