import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMediaSize, isStrictBase64 } from '../../src/sim/media-rules.js';

const rules = (bytes: number, rate: number) => checkMediaSize(bytes, rate).map((p) => p.rule).sort();

test('Exotel outbound size rules (spec §5.3)', () => {
  assert.deepEqual(rules(3200, 8000), []);
  assert.deepEqual(rules(3200, 16000), []);
  assert.deepEqual(rules(4800, 24000), []);
  assert.deepEqual(rules(100_000 - 160, 8000), []);
  assert.deepEqual(rules(4096, 8000), ['not-multiple-of-320']);
  assert.deepEqual(rules(1600, 8000), ['below-minimum-size']);
  assert.deepEqual(rules(320, 16000), ['below-100ms', 'below-minimum-size']);
  assert.deepEqual(rules(3200, 24000), ['below-100ms']);
  assert.deepEqual(rules(120_000, 8000), ['above-maximum-size']);
  assert.deepEqual(rules(3201, 8000), ['not-multiple-of-320', 'odd-length']);
  assert.deepEqual(rules(0, 8000), ['empty-payload']);
});

test('strict base64: padding and alphabet enforced', () => {
  assert.ok(isStrictBase64(Buffer.alloc(3200).toString('base64')));
  assert.ok(isStrictBase64(Buffer.alloc(3199).toString('base64')));
  assert.ok(!isStrictBase64('AAA'));
  assert.ok(!isStrictBase64('AA=A'));
  assert.ok(!isStrictBase64('AA AA==='));
  assert.ok(!isStrictBase64('!!!!'));
});
