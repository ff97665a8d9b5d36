// nextDeadline() must be exact: a host that sleeps until it and ticks once must see the same
// actions, at the same times, as a host ticking every millisecond; and no wake-up may be wasted.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TurnTaker } from '../../src/conversation/turn-taking.js';
import type { TurnAction, TurnInput, TurnTakingConfig } from '../../src/conversation/turn-taking.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Timed = { at: number; input: TurnInput; replyId?: string };

/** A random caller: speech segments (confirmed late), transcripts, the odd keypress. */
function callerScript(seed: number, endMs: number): Timed[] {
  const rnd = mulberry32(seed);
  const between = (a: number, b: number) => Math.round(a + rnd() * (b - a));
  const out: Timed[] = [{ at: 0, input: { type: 'callStarted', nowMs: 0 } }];
  let t = between(200, 3000);
  while (t < endMs) {
    const onset = t;
    const len = rnd() < 0.3 ? between(40, 300) : between(300, 4000);
    const confirm = onset + between(0, 120);
    out.push({ at: confirm, input: { type: 'speechStart', nowMs: confirm, onsetMs: onset } });
    if (rnd() < 0.5 && len > 400) out.push({ at: onset + 300, input: { type: 'transcript', nowMs: onset + 300, text: 'uh', final: false } });
    const end = onset + len;
    const endSeen = Math.max(end + between(0, 60), confirm);
    out.push({ at: endSeen, input: { type: 'speechEnd', nowMs: endSeen, endMs: end } });
    if (rnd() < 0.6) {
      const at = endSeen + between(50, 900);
      out.push({ at, input: { type: 'transcript', nowMs: at, text: rnd() < 0.8 ? 'words' : '', final: true } });
    }
    t = end + (rnd() < 0.2 ? between(5000, 20000) : between(100, 2500));
    if (rnd() < 0.1) {
      out.push({ at: t, input: { type: 'dtmf', nowMs: t, digit: '5' } });
      t += between(100, 1000);
    }
  }
  return out;
}

/** Runs one call; the host reacts to actions the way the conversation loop will. */
function simulate(seed: number, config: Partial<TurnTakingConfig>, dense: boolean): { log: string[]; wasted: number } {
  const END = 120_000;
  const engine = new TurnTaker(config);
  const queue: Timed[] = callerScript(seed, END);
  const rnd = mulberry32(seed ^ 0x9e3779b9);
  let replies = 0;
  let wasted = 0;
  const log: string[] = [];
  const schedule = (item: Timed) => queue.push(item);
  const speakReply = (id: string, from: number, greeting = false) => {
    const start = from + 100 + Math.round(rnd() * 900);
    schedule({ at: start, replyId: id, input: { type: 'botSpeechStarted', nowMs: start, replyId: id, greeting } });
    const done = start + 500 + Math.round(rnd() * 5000);
    schedule({ at: done, replyId: id, input: { type: 'botSpeechFinished', nowMs: done, replyId: id } });
  };
  const queueReply = (from: number, greeting = false) => {
    const id = `r${++replies}`;
    schedule({ at: from, replyId: id, input: { type: 'replyQueued', nowMs: from, replyId: id, greeting } });
    speakReply(id, from, greeting);
  };
  const drop = (id: string) => queue.splice(0, queue.length, ...queue.filter((q) => q.replyId !== id));
  const react = (actions: readonly TurnAction[]) => {
    for (const a of actions) {
      log.push(JSON.stringify(a));
      if (a.type === 'endOfTurn' || a.type === 'idlePrompt') queueReply(a.atMs + 150);
      else if (a.type === 'bargeIn' || a.type === 'cancelReply') drop(a.replyId);
      else if (a.type === 'resumeReply') speakReply(a.replyId, a.atMs);
    }
  };
  queueReply(1, true); // the greeting
  let t = 0;
  for (;;) {
    queue.sort((a, b) => a.at - b.at);
    const nextInput = queue.length > 0 ? queue[0].at : Infinity;
    if (nextInput > END || engine.state === 'ended') break;
    const deadline = engine.nextDeadline();
    if (!dense && deadline !== null) assert.ok(deadline > t, `deadline ${deadline} not after now ${t}`);
    const wake = dense ? t + 1 : deadline ?? Infinity;
    if (wake < nextInput) {
      t = wake;
      const before = engine.state;
      const actions = engine.tick(t);
      if (actions.length === 0 && engine.state === before) wasted++;
      react(actions);
    } else {
      t = nextInput;
      react(engine.handle((queue.shift() as Timed).input));
    }
  }
  return { log, wasted };
}

const CONFIGS: Record<string, Partial<TurnTakingConfig>> = {
  defaults: {},
  'protect whole greeting, short idle': { protectWholeGreeting: true, idleMs: 4000, maxIdlePrompts: 3 },
  'half duplex, no transcript wait': { halfDuplex: true, falseInterruptionTranscriptWaitMs: null, maxTurnMs: 3000 },
  'short max call': { maxCallMs: 45_000, endpointSilenceAfterFinalMs: null, dtmfBargeIn: false },
};

describe('nextDeadline', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    test(`sleeping until nextDeadline matches ticking every ms (${name})`, () => {
      let actions = 0;
      for (let seed = 1; seed <= 6; seed++) {
        const dense = simulate(seed, config, true);
        const sparse = simulate(seed, config, false);
        assert.deepEqual(sparse.log, dense.log, `seed ${seed}`);
        assert.equal(sparse.wasted, 0, `seed ${seed}: wake-ups that changed nothing`);
        actions += dense.log.length;
      }
      assert.ok(actions > 20, 'the scripts exercise the engine');
    });
  }

  test('the scripts reach every kind of action', () => {
    const kinds = new Set<string>();
    for (const config of Object.values(CONFIGS)) {
      for (let seed = 1; seed <= 6; seed++) for (const a of simulate(seed, config, false).log) kinds.add(JSON.parse(a).type);
    }
    assert.deepEqual([...kinds].sort(), ['bargeIn', 'cancelReply', 'dtmf', 'endOfTurn', 'hangup', 'idlePrompt', 'resumeReply']);
  });
});
