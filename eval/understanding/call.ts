// One evaluation call: dial the gateway as Exotel, let the greeting finish, optionally press 2 (the order menu)
// and let the agent ask, say the utterance, and hang up as soon as the agent's reply to it has begun: its label
// and text are in the call record by its first audio frame, so the rest of it need not play.
import { BotAudio, botDone, repliesOf, until, type ReplyInfo } from '../../src/sim/script-runner.js';
import { SimulatedCall } from '../../src/sim/index.js';
import type { EvalGateway } from './gateway.js';

export interface CallOutcome {
  /** The reply to the utterance (label, text, what was recognised); absent when none began in time. */
  reply?: ReplyInfo;
  confidence?: number;
  rejected?: string;
  /** Exotel protocol violations the simulated line saw (should be none). */
  violations: number;
}

const QUIET_MS = 700;
const REPLY_TIMEOUT_MS = 6000;

export async function playUtterance(gateway: EvalGateway, audio: { samples: Int16Array; sampleRate: number }, asked: boolean): Promise<CallOutcome> {
  const call = new SimulatedCall({ url: gateway.url, callerFrameMs: 20 });
  const bot = new BotAudio(call);
  const replies = () => {
    const record = gateway.peek(call.callSid);
    return record ? [...repliesOf(record).entries()] : [];
  };
  let before = 0;
  try {
    await call.start();
    await botDone(call, bot, { sinceMs: 0, awaitReply: true, replyTimeoutMs: REPLY_TIMEOUT_MS, quietMs: QUIET_MS });
    if (asked) {
      const since = call.elapsedMs();
      call.sendDtmf('2');
      await botDone(call, bot, { sinceMs: since, awaitReply: true, replyTimeoutMs: REPLY_TIMEOUT_MS, quietMs: QUIET_MS });
    }
    before = replies().length;
    await call.sendAudio(audio);
    // Its text is the agent turn added at its first frame; the label comes a moment before.
    await until(call, () => replies().slice(before).some(([, r]) => r.label !== undefined && r.text !== undefined), REPLY_TIMEOUT_MS);
  } finally {
    if (!call.isClosed) await call.hangup();
  }
  const record = await gateway.record(call.callSid);
  const [replyId, reply] = [...repliesOf(record).entries()].slice(before).find(([, r]) => r.label !== undefined) ?? [];
  const transcript = record.events.find((e) => e.type === 'turn.transcript' && e.data.replyId === replyId)?.data;
  return {
    ...(reply ? { reply } : {}),
    ...(typeof transcript?.confidence === 'number' ? { confidence: transcript.confidence } : {}),
    ...(typeof transcript?.rejected === 'string' ? { rejected: transcript.rejected } : {}),
    violations: call.report().violations.length,
  };
}
