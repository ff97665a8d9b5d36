import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TURN_CONFIG, TurnTaker, resolveTurnConfig } from '../../src/conversation/turn-taking.js';

describe('turn-taking config', () => {
  test('defaults', () => {
    const cfg = resolveTurnConfig();
    assert.equal(cfg.endpointSilenceMs, 600);
    assert.equal(cfg.bargeInMinSpeechMs, 250);
    assert.equal(cfg.greetingProtectMs, 1500);
    assert.equal(cfg.idleMs, 8000);
    assert.equal(cfg.maxIdlePrompts, 2);
    assert.ok(cfg.bargeInMinSpeechMs > cfg.minSpeechMs, 'barge-in needs more speech than a normal turn');
    assert.ok(Object.isFrozen(DEFAULT_TURN_CONFIG));
  });

  test('overrides apply; undefined keeps the default; nullable options accept null', () => {
    const cfg = resolveTurnConfig({ endpointSilenceMs: 800, idleMs: undefined, maxCallMs: null, bargeInMinLevelDbfs: -40 });
    assert.equal(cfg.endpointSilenceMs, 800);
    assert.equal(cfg.idleMs, 8000);
    assert.equal(cfg.maxCallMs, null);
    assert.equal(cfg.bargeInMinLevelDbfs, -40);
  });

  test('bad values are rejected with the option name', () => {
    assert.throws(() => resolveTurnConfig({ endpointSilenceMs: -1 }), /endpointSilenceMs/);
    assert.throws(() => resolveTurnConfig({ minSpeechMs: Number.NaN }), /minSpeechMs/);
    assert.throws(() => resolveTurnConfig({ idleMs: null as unknown as number }), /idleMs cannot be null/);
    assert.throws(() => resolveTurnConfig({ halfDuplex: 'yes' as unknown as boolean }), /halfDuplex/);
    assert.throws(() => resolveTurnConfig({ maxIdlePrompts: 1.5 }), /maxIdlePrompts/);
    assert.throws(() => resolveTurnConfig({ idleMs: 0 }), /idleMs/);
    assert.throws(() => resolveTurnConfig({ endpointSilenceMS: 5 } as never), /unknown option "endpointSilenceMS"/);
    assert.throws(() => new TurnTaker({ bargeInMinSpeechMs: -5 }), RangeError);
  });

  test('the engine exposes its resolved config', () => {
    const engine = new TurnTaker({ halfDuplex: true });
    assert.equal(engine.config.halfDuplex, true);
    assert.equal(engine.config.endpointSilenceMs, 600);
  });
});
