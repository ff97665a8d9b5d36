import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedCall, type ViolationRule } from '../../src/sim/index.js';
import { frames, marked, startBot } from './bot-server.js';

async function callBot(script: Parameters<typeof startBot>[0], query = '', settle: (call: SimulatedCall) => Promise<unknown>) {
  const bot = await startBot(script);
  try {
    const call = new SimulatedCall({ url: bot.wsUrl(`/media${query}`) });
    await call.start();
    await settle(call);
    return await call.hangup();
  } finally {
    await bot.close();
  }
}

test('frame-size, encoding and event rules are each caught', async () => {
  const report = await callBot(
    (conn) => {
      conn.sendMedia(marked(2048, 100)); // 4096 B
      conn.sendMedia(Buffer.alloc(120_000));
      conn.sendBase64('this is not base64!!');
      conn.sendBase64(Buffer.alloc(3200).toString('base64').slice(0, -2)); // padding stripped
      conn.sendMedia(Buffer.alloc(1600));
      conn.sendMedia(Buffer.alloc(3201));
      conn.sendRaw(JSON.stringify({ event: 'hangup', stream_sid: conn.streamSid }));
      conn.sendRaw('not json');
      conn.sendRaw(Buffer.alloc(320), true);
    },
    '',
    (call) => call.waitFor('violation', { predicate: (v) => v.rule === 'binary-frame' }),
  );
  const counts = report.violationCounts;
  const expected: Partial<Record<ViolationRule, number>> = {
    'not-multiple-of-320': 2, // 4096 B and 3201 B
    'above-maximum-size': 1,
    'invalid-base64': 2,
    'below-minimum-size': 1,
    'odd-length': 1,
    'unknown-event': 1,
    'invalid-message': 1,
    'binary-frame': 1,
    burst: 1, // 120000 B is 7.5 s queued at once
  };
  assert.deepEqual(counts, expected);
  assert.equal(report.botMedia.frames, 6);
  assert.deepEqual(report.botMedia.sizeHistogram, { '1600': 1, '3201': 1, '4096': 1, '120000': 1 });
  const bad = report.violations.find((v) => v.rule === 'invalid-base64');
  assert.equal(bad?.frame, 2);
});

test('a 3-second burst is flagged once with its peak', async () => {
  const report = await callBot(
    (conn) => {
      for (const f of frames(Buffer.alloc(48_000), 3200)) conn.sendMedia(f); // 15 × 200 ms at once
      conn.sendMark('end');
    },
    '',
    (call) => call.waitFor('botMedia', { predicate: (f) => f.index === 14 }),
  );
  assert.deepEqual(report.violationCounts, { burst: 1 });
  assert.equal(report.pacing.bursts.length, 1);
  const [burst] = report.pacing.bursts;
  assert.ok(burst.peakAheadMs >= 2500, `peak ${burst.peakAheadMs}`);
  assert.ok(burst.frames >= 12);
});

test('at 24 kHz a 3200-byte frame is under 100 ms', async () => {
  const report = await callBot(
    (conn) => {
      conn.sendMedia(Buffer.alloc(3200));
      conn.sendMedia(Buffer.alloc(4800));
      conn.sendMark('end');
    },
    '?sample-rate=24000',
    (call) => call.waitFor('markEchoed'),
  );
  assert.equal(report.sampleRate, 24000);
  assert.deepEqual(report.violationCounts, { 'below-100ms': 1 });
  assert.equal(report.violations[0].frame, 0);
});

test('late frames inside one reply count as underruns, not violations', async () => {
  const report = await callBot(
    (conn) => {
      // 200 ms frames sent every 400 ms: the queue runs dry for ~200 ms between them.
      void conn.sendPaced(frames(Buffer.alloc(9600, 1), 3200), 400).then(() => conn.sendMark('end'));
    },
    '',
    (call) => call.waitFor('markEchoed', { timeoutMs: 5000 }),
  );
  assert.deepEqual(report.violations, []);
  assert.ok(report.pacing.underruns.count >= 1, JSON.stringify(report.pacing.underruns));
  assert.ok(report.pacing.underruns.totalGapMs > 0);
  assert.equal(report.pacing.jitterMs.samples, 1, 'three frames: the lead-in interval is not cadence');
});
