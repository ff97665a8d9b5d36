import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEchoAgent } from '../../src/agent/kinds/echo.js';
import type { DialedCall } from '../fakes/exotel-rest.js';
import { startOutboundGateway } from '../helpers/e2e-call.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

/**
 * The whole outbound story against a fake Exotel that behaves like the real one after a dial: it calls our
 * webhook, streams the call with the simulator, the callee talks and hangs up, and status callbacks follow.
 */
test('POST /call -> webhook -> media stream -> stop -> terminal callback -> GET /calls/:id tells it all', async () => {
  const rig = await startOutboundGateway({
    env: { EXOTEL_WS_TOKEN: 'e2e-ws-token-0123456789', EXOTEL_APP_ID: '4242' },
    agents: [createEchoAgent()],
  });
  const { exotel, base } = rig;
  const speech = concat(silence(300, 8000), await synthesize('I would like to know where my order is.', 8000, 'awb'), silence(1500, 8000));

  let heardMs = 0;
  const finished = new Promise<void>((resolve, reject) => {
    exotel.onDial(async (dial: DialedCall) => {
      try {
        // The callee answers: Exotel reports it, then runs the flow's Voicebot applet against our webhook.
        exotel.setCallStatus(dial.Sid, { status: 'in-progress' });
        assert.equal((await exotel.sendStatusCallback(dial.Sid, 'answered')).status, 200);
        const call = await rig.dial({
          url: `${base}/api/v1/exotel/voice/connect`,
          callSid: dial.Sid,
          customField: dial.CustomField,
          from: dial.From,
          to: dial.CallerId,
          webhookParams: { Direction: 'outbound-api' },
        });
        await call.sendAudio(speech);
        await call.waitFor('markEchoed', { timeoutMs: 8000 });
        const report = await call.hangup();
        heardMs = report.botMedia.audioMs;
        assert.deepEqual(report.violations, []);
        exotel.setCallStatus(dial.Sid, { status: 'completed', conversationDurationSec: 6, recordingUrl: 'https://recordings.example.com/a.mp3' });
        assert.equal((await exotel.sendStatusCallback(dial.Sid, 'terminal')).status, 200);
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });

  try {
    const res = await fetch(`${base}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+91 98765 43210', callLogId: 'crm-7781', agent: 'echo' }),
    });
    assert.equal(res.status, 201);
    const placed = (await res.json()) as { callSid: string; status: string; callLogId: string };
    await finished;
    await new Promise((r) => setTimeout(r, 150));

    const rec = (await (await fetch(`${base}/calls/crm-7781`)).json()) as any;
    assert.equal(rec.callSid, placed.callSid);
    assert.equal(rec.callLogId, 'crm-7781');
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.to, '+919876543210');
    assert.equal(rec.agent, 'echo');
    assert.equal(rec.status, 'completed');
    assert.equal(rec.endReason, 'caller-hangup');
    assert.equal(rec.recordingUrl, 'https://recordings.example.com/a.mp3');
    assert.ok(rec.answeredAt && rec.startedAt && rec.endedAt);
    assert.ok(heardMs > 1000, `the caller heard the echo (${heardMs} ms)`);
    const types: string[] = rec.events.map((e: { type: string }) => e.type);
    const order = ['dial', 'dial-accepted', 'status-callback', 'webhook', 'ws-open', 'start', 'echo', 'stop', 'end', 'status-callback'];
    let at = -1;
    for (const t of order) {
      const i = types.indexOf(t, at + 1);
      assert.ok(i > at, `${t} after position ${at} in ${types.join(',')}`);
      at = i;
    }
    assert.equal((await (await fetch(`${base}/calls/${placed.callSid}`)).json() as { id: string }).id, rec.id);
  } finally {
    await rig.close();
  }
});
