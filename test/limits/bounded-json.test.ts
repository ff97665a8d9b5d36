import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_JSON_LIMITS, JsonLimitError, parseBoundedJson, tryParseBoundedJson, type JsonLimits } from '../../src/limits/bounded-json.js';

const L: JsonLimits = { maxBytes: 1000, maxDepth: 4, maxKeys: 5, maxItems: 5, maxStringLength: 20 };

function rejects(text: string, reason: string, path?: string, limits = L) {
  assert.throws(
    () => parseBoundedJson(text, limits),
    (err: unknown) => err instanceof JsonLimitError && err.reason === reason && (path === undefined || err.path === path),
  );
}

test('values within the limits come back as JSON.parse gives them', () => {
  for (const t of ['1', '"x"', 'null', '{"a":[1,2,{"b":"c"}]}', '[]', '{}', '[[[]]]', '{"a":{"b":{"c":{}}}}']) {
    assert.deepEqual(parseBoundedJson(t, L), JSON.parse(t));
  }
});

test('each limit is enforced, naming the path', () => {
  rejects('x'.repeat(1001), 'size', '$');
  rejects('{"a":', 'syntax', '$');
  rejects('{"a":{"b":{"c":{"d":{}}}}}', 'depth', '$.a.b.c.d');
  rejects('[[[[[]]]]]', 'depth', '$[0][0][0][0]');
  rejects('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', 'keys', '$');
  rejects('{"list":[1,2,3,4,5,6]}', 'items', '$.list');
  rejects(`{"a":"${'y'.repeat(21)}"}`, 'string', '$.a');
  rejects(`{"${'k'.repeat(21)}":1}`, 'string', '$');
  rejects(`{"odd key":{"x":"${'y'.repeat(21)}"}}`, 'string', '$["odd key"].x');
});

test('the size limit counts UTF-8 bytes, not characters', () => {
  const limits = { ...L, maxStringLength: 1000 };
  assert.doesNotThrow(() => parseBoundedJson(`"${'é'.repeat(400)}"`, limits)); // 802 bytes
  rejects(`"${'é'.repeat(500)}"`, 'size', '$', limits); // 1002 bytes
});

test('a depth bomb of 100,000 levels is refused without overflowing the stack', () => {
  const bomb = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  const limits = { ...DEFAULT_JSON_LIMITS, maxBytes: 10 << 20 };
  const r = tryParseBoundedJson(bomb, limits);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.reason, 'depth');
  const arrays = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.equal(tryParseBoundedJson(arrays, limits).ok, false);
});

test('__proto__, constructor and prototype keys are removed at every depth, and no prototype is polluted', () => {
  const v = parseBoundedJson('{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"polluted":2}},"prototype":3,"ok":true}}', L) as Record<string, any>;
  assert.deepEqual(Object.keys(v), ['a']);
  assert.deepEqual(Object.keys(v.a), ['ok']);
  Object.assign({}, v, v.a);
  const merged = { ...v, ...v.a };
  assert.equal(({} as any).polluted, undefined);
  assert.equal((merged as any).polluted, undefined);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
});
