import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import type { BrainInput } from '../../src/conversation/brain.js';
import { Keypad } from '../../src/conversation/keypad.js';

function keypad() {
  const clock = new ManualScheduler();
  const inputs: BrainInput[] = [];
  return { clock, inputs, keys: new Keypad(clock, (input) => inputs.push(input)) };
}

test('keypad: each key goes to the brain, and the keys typed become one caller turn from the first key', () => {
  const { clock, inputs, keys } = keypad();
  clock.advance(100);
  keys.press('1');
  clock.advance(300);
  keys.press('2');
  assert.deepEqual(inputs, [
    { type: 'dtmf', digit: '1' },
    { type: 'dtmf', digit: '2' },
  ]);
  assert.deepEqual(keys.take(), { text: '[DTMF] 12', startedAtMs: 100 });
  clock.advance(50);
  keys.press('#');
  assert.deepEqual(keys.take(), { text: '[DTMF] #', startedAtMs: 450 }, 'collection starts afresh after a turn');
});

test('keypad: waiting for more keys ends in a dtmfTimeout unless a key comes first', () => {
  const { clock, inputs, keys } = keypad();
  keys.press('4');
  keys.waitForMore(2000);
  clock.advance(1999);
  keys.press('2'); // in time: the wait is over
  keys.waitForMore(2000);
  clock.advance(2000);
  assert.deepEqual(inputs, [{ type: 'dtmf', digit: '4' }, { type: 'dtmf', digit: '2' }, { type: 'dtmfTimeout' }]);
  clock.advance(10_000);
  assert.equal(inputs.length, 3, 'one timeout per wait');
});

test('keypad: clear stops the wait', () => {
  const { clock, inputs, keys } = keypad();
  keys.waitForMore(500);
  keys.clear();
  clock.advance(1000);
  assert.deepEqual(inputs, []);
});
