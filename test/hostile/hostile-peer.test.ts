/**
 * Hostile peers against the real server (a child process, cwd and DATA_DIR in a fresh temp tree) while one good
 * call streams: after every attack the process must be alive, /health 200, the good call must have heard no
 * outbound gap longer than one frame beyond normal, no call may be left behind, and nothing may have been written
 * outside DATA_DIR. Attacks that still hurt the server are listed in KNOWN_TODAY and run as `todo`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTACKS } from './corpus.js';
import { HostileFixture, MAX_GAP_MS, MAX_SERVER_LAG_MS, snapshotTree, treeDiff } from './harness.js';

/** Attacks that fail on today's code, with why; emptied as the fixes land. */
const KNOWN_TODAY: Record<string, string> = {};

describe('hostile peers', { timeout: 30 * 60_000 }, () => {
  const fx = new HostileFixture();
  before(() => fx.ensureUp());
  after(() => fx.close());

  for (const attack of ATTACKS) {
    const todo = KNOWN_TODAY[attack.name];
    test(attack.name, { ...(todo ? { todo: `fix pending: ${todo}` } : {}), timeout: 120_000 }, async (t) => {
      await fx.ensureUp();
      const tree = snapshotTree(fx.root, fx.dataDir);
      await fx.metrics(); // resets the server's event-loop delay histogram: the next scrape covers the attack
      const { stats, error } = await fx.measure(() => attack.run(fx), attack.settleMs ?? 1000);
      const report = () => `good call: ${JSON.stringify(stats)}\nserver output (tail):\n${fx.server!.output().slice(-3000)}`;

      assert.ok(fx.serverAlive(), `the server died (exit ${fx.server!.child.exitCode}, signal ${fx.server!.signal})\n${report()}`);
      assert.ok(await fx.healthy(), `/health is not 200 after the attack\n${report()}`);
      if (error) throw Object.assign(error as Error, { message: `${(error as Error).message}\n${report()}` });
      const m = await fx.metrics();
      const diag = `${JSON.stringify(stats)}, server event-loop delay max ${m.eldMaxMs.toFixed(1)} ms p99 ${m.eldP99Ms.toFixed(1)} ms`;
      assert.ok(stats.frames > 0, `the good call heard nothing during the attack: ${diag}`);
      assert.ok(
        stats.maxServerGapMs <= MAX_GAP_MS,
        `the good call heard a ${stats.maxServerGapMs} ms gap (${stats.maxGapMs} ms before taking off its own ${stats.clientLagMaxMs} ms of event-loop lag): ${diag}`,
      );
      assert.ok(m.eldMaxMs <= MAX_SERVER_LAG_MS, `the server's event loop stalled for ${m.eldMaxMs.toFixed(0)} ms: ${diag}`);
      // Every hostile socket is gone: only the good call may remain.
      let calls = m.activeCalls;
      for (let i = 0; i < 50 && calls > 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        calls = (await fx.metrics()).activeCalls;
      }
      assert.equal(calls, 1, 'calls left behind after the attack');
      assert.deepEqual(treeDiff(tree, snapshotTree(fx.root, fx.dataDir)), [], 'nothing is written outside DATA_DIR');
      t.diagnostic(diag);
    });
  }
});
