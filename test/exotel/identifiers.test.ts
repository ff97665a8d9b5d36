import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkId, ID_RULES, isValidId, logSafe } from '../../src/exotel/identifiers.js';

test('real Exotel and generated identifiers are accepted', () => {
  for (const id of ['b6cfaf5f5cef3ca0fc937749ef96d245', 'gen-0123456789abcdef01234567', 'anon-0123456789abcdef', '9b2f4c1e-7a3d-4d6e-8f10-2b3c4d5e6f70']) {
    assert.ok(isValidId('callSid', id), id);
    assert.ok(isValidId('callId', id), id);
    assert.ok(isValidId('streamSid', id), id);
  }
  assert.ok(isValidId('callLogId', 'order-42:retry.1'));
  assert.ok(isValidId('agentName', 'support-bot'));
  assert.ok(isValidId('agentName', 'Cloud_Agent-2'));
});

test('hostile identifiers are refused with a reason', () => {
  assert.deepEqual(checkId('callId', undefined), { ok: false, reason: 'missing', message: 'callId is missing' });
  assert.equal(checkId('callId', '').ok, false);
  assert.equal(checkId('callId', 42).ok, false);
  for (const bad of ['a\nb', 'a\r\nb', 'a\u0000', 'a b', '../etc', 'a/b', 'a%0a', '"x"', 'é']) {
    const r = checkId('callId', bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    if (!r.ok) assert.equal(r.reason, 'bad-characters');
  }
  const long = checkId('streamSid', 'a'.repeat(ID_RULES.streamSid.maxLength + 1));
  assert.equal(long.ok ? 'ok' : long.reason, 'too-long');
  assert.equal(isValidId('callLogId', 'a'.repeat(65)), false);
  assert.equal(isValidId('agentName', 'a.b'), false);
  assert.equal(isValidId('agentName', 'a'.repeat(65)), false);
});

test('logSafe escapes control characters and caps the length', () => {
  assert.equal(logSafe('abc'), 'abc');
  assert.equal(logSafe('a\r\nb\u0000c\\'), 'a\\x0d\\x0ab\\x00c\\x5c');
  assert.equal(logSafe('é\u2028'), '\\xe9\\u2028');
  const cut = logSafe('x'.repeat(1000), 16);
  assert.equal(cut, `${'x'.repeat(16)}…(1000)`);
  assert.doesNotMatch(logSafe('\n'.repeat(100)), /[\r\n\u0000]/);
  assert.equal(logSafe(undefined), '');
  assert.equal(logSafe('y'.repeat(16), 16), 'y'.repeat(16));
});
