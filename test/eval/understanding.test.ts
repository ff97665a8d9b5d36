// The understanding evaluation end to end on a three-utterance slice, so the harness cannot rot: real voices,
// the telephone channel, Exotel calls into the gateway, the replies scored. Not a target check.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEvalGateway, type EvalGateway } from '../../eval/understanding/gateway.js';
import { runUnderstandingEval } from '../../eval/understanding/run.js';
import { formatTable } from '../../eval/understanding/table.js';
import { DEFAULT_CHANNEL, voiceById } from '../../eval/understanding/voices.js';

let gateway: EvalGateway;
before(async () => {
  gateway = await startEvalGateway({ pool: 1 });
});
after(async () => {
  await gateway.close();
});

test('a slice of the corpus is played as calls and scored: the agent\'s own example is answered', async () => {
  const only = ['literal/what-are-your-opening-hours', 'out-of-scope/tell-me-a-joke', 'non-speech/tone'];
  const report = await runUnderstandingEval(gateway, {
    sets: ['literal', 'out-of-scope', 'non-speech'],
    voices: [voiceById('flite:rms')],
    speeds: [1],
    channel: DEFAULT_CHANNEL,
    concurrency: 2,
    stride: 1,
    only,
  });
  assert.deepEqual(report.results.map((r) => r.id).sort(), [...only].sort());
  for (const r of report.results) {
    assert.equal(r.error, undefined, `${r.id}: ${r.error}`);
    assert.ok(r.snrDb !== null && r.snrDb >= 20 && r.snrDb <= 30, `${r.id}: SNR ${r.snrDb}`);
  }
  const literal = report.results.find((r) => r.set === 'literal')!;
  assert.equal(literal.condition, 'flite:rms@1');
  assert.equal(literal.outcome, 'opening-hours');
  assert.equal(literal.correct, true);
  assert.equal(literal.falseAccept, false);
  assert.match(literal.reply ?? '', /open Monday to Saturday/);
  assert.equal(report.results.find((r) => r.set === 'non-speech')!.condition, '-');
  assert.deepEqual(Object.keys(report.sets).sort(), ['literal', 'non-speech', 'out-of-scope']);
  assert.equal(report.sets.literal!.n, 1);
  assert.equal(report.sets.literal!.correct, 1);
  assert.equal(report.falseAccepts.n, 3);
  assert.equal(report.falseAccepts.count, report.results.filter((r) => r.falseAccept).length);
  assert.match(formatTable(report), /^literal\s+1\s+1\s+100\.0 %/m);
});
