// The script runner against a scripted bot (no gateway): replies are tied to the record by their mark names,
// latency and reply audio come from the line, and a bot that hangs up ends the script there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCallScript, runCallScript, type ScriptCallRecord } from '../../src/sim/index.js';
import { frames, marked, startBot, type BotConn } from './bot-server.js';

/** 8 kHz audio for `ms`, sent at real-time pace in 200 ms frames, then the mark `name`. */
async function reply(conn: BotConn, ms: number, name: string): Promise<void> {
  await conn.sendPaced(frames(marked(ms * 8, 1000), 3200), 200);
  if (conn.ws.readyState === conn.ws.OPEN) conn.sendMark(name);
}

// The gateway-shaped record of that call: one agent transcript turn per reply, in first-frame order.
const RECORD: ScriptCallRecord = {
  events: [
    { type: 'turn.reply-text', data: { replyId: 'r1', label: 'greeting' } },
    { type: 'turn.first-frame', data: { replyId: 'r1' } },
    { type: 'turn.transcript', data: { replyId: 'r2', text: '[DTMF] 1' } },
    { type: 'turn.reply-text', data: { replyId: 'r2', label: 'hours' } },
    { type: 'turn.first-frame', data: { replyId: 'r2' } },
    { type: 'turn.reply-text', data: { replyId: 'r3', label: 'address' } },
    { type: 'turn.first-frame', data: { replyId: 'r3' } },
    { type: 'turn.reply-text', data: { replyId: 'r4', label: 'goodbye' } },
    { type: 'turn.first-frame', data: { replyId: 'r4' } },
  ],
  transcript: [
    { role: 'agent', text: 'Hello.' },
    { role: 'caller', text: '[DTMF] 1' },
    { role: 'agent', text: 'We are open from nine to five.' },
    { role: 'caller', text: '[DTMF] 2' },
    { role: 'agent', text: 'We are on Main Street.' },
    { role: 'agent', text: 'Bye.' },
  ],
};

test('runCallScript: each input is matched to the reply after it, by mark name, and checked', async (t) => {
  const bot = await startBot((conn) => {
    let n = 1;
    void reply(conn, 600, 'r1.0');
    conn.on('message', (msg) => {
      if (msg.event !== 'dtmf') return;
      const id = `r${++n}`;
      // A little thinking time, so the latency is something to measure.
      setTimeout(() => {
        void reply(conn, msg.dtmf.digit === '2' ? 1000 : 600, `${id}.0`).then(() => {
          if (msg.dtmf.digit === '9') setTimeout(() => conn.ws.close(1000, 'bot-hangup'), 100);
        });
      }, 150);
    });
  });
  t.after(() => bot.close());
  const script = parseCallScript(
    [
      'quietMs: 300',
      'turns:',
      '  - dtmf: "1"',
      '    expect: { intent: hours, replyContains: [OPEN, nine], maxLatencyMs: 2000, endsCall: false }',
      '  - dtmf: "2"',
      '    expect: { intent: hours, minReplyAudioMs: 2000 }',
      '  - dtmf: "9"',
      '    expect: { intent: goodbye, endsCall: true }',
      '  - dtmf: "3"',
      '    expect: { maxLatencyMs: 2000 }',
      '',
    ].join('\n'),
    'runner.yaml',
  );
  const fetched: string[] = [];
  const report = await runCallScript({
    script,
    call: { url: bot.wsUrl(), callerFrameMs: 20 },
    speak: () => assert.fail('no say: lines'),
    fetchRecord: async (callSid) => {
      fetched.push(callSid);
      return RECORD;
    },
  });
  assert.deepEqual(fetched, [report.callSid]);
  const [hours, address, bye, late] = report.turns;
  assert.equal(hours.replyId, 'r2');
  assert.equal(hours.replyText, 'We are open from nine to five.');
  assert.equal(hours.recognised, '[DTMF] 1');
  assert.ok(hours.latencyMs !== null && hours.latencyMs >= 100 && hours.latencyMs <= 2000, `latency ${hours.latencyMs}`);
  assert.deepEqual(hours.failures, []);
  assert.equal(address.replyId, 'r3');
  assert.ok(address.replyAudioMs >= 950 && address.replyAudioMs <= 1050, `${address.replyAudioMs} ms`);
  assert.deepEqual(address.failures, ['intent was "address", expected "hours"', `${address.replyAudioMs} ms of reply audio, expected at least 2000 ms`]);
  assert.equal(bye.intent, 'goodbye');
  assert.equal(bye.endedCall, true);
  assert.deepEqual(bye.failures, []);
  assert.equal(late.played, false);
  assert.deepEqual(late.failures, ['not played: the call had ended']);
  assert.equal(report.passed, false);
  assert.equal(report.call.endedBy, 'bot');
  // Keys went out only once the bot was quiet: none while a reply played.
  assert.deepEqual(report.call.dtmfSent.map((d) => d.digit), ['1', '2', '9']);
});
