// Cost of TurnTaker.handle() per 20 ms VAD frame over a synthetic conversation (speech, pauses,
// bot replies, barge-ins). Prints JSON: ns per frame and young-generation GCs (a proxy for
// per-frame allocation: an allocation-free path runs without any).
import { PerformanceObserver } from 'node:perf_hooks';
import { TurnTaker } from '../src/conversation/turn-taking.js';
import type { TurnAction, TurnInput } from '../src/conversation/turn-taking.js';

const FRAMES = Number(process.argv[2] ?? 2_000_000);
// One reused input object, as a host would do on the audio path.
const frame: Extract<TurnInput, { type: 'vad' }> = { type: 'vad', nowMs: 0, startMs: 0, voiced: false, levelDbfs: -60 };

function run(frames: number): { actions: number } {
  const engine = new TurnTaker({ maxCallMs: null });
  let t = 0;
  let actions = 0;
  let replies = 0;
  let replyStartAt = -1;
  let replyEndAt = -1;
  let replyId = '';
  engine.handle({ type: 'callStarted', nowMs: 0 });
  const react = (out: readonly TurnAction[]) => {
    for (let i = 0; i < out.length; i++) {
      const a = out[i];
      actions++;
      if (a.type === 'endOfTurn' || a.type === 'idlePrompt' || a.type === 'resumeReply') {
        replyId = a.type === 'resumeReply' ? a.replyId : `r${++replies}`;
        engine.handle({ type: 'replyQueued', nowMs: t, replyId });
        replyStartAt = t + 400;
        replyEndAt = t + 3400;
      } else if (a.type === 'bargeIn') replyStartAt = replyEndAt = -1;
    }
  };
  for (let i = 0; i < frames; i++) {
    frame.startMs = t;
    t += 20;
    frame.nowMs = t;
    // ~2.3 s of speech in every 7 s: a caller talking in bursts, sometimes over the bot.
    const phase = t % 7000;
    frame.voiced = phase < 1500 || (phase > 1700 && phase < 2500);
    frame.levelDbfs = frame.voiced ? -22 : -60;
    react(engine.handle(frame));
    if (t === replyStartAt) engine.handle({ type: 'botSpeechStarted', nowMs: t, replyId });
    if (t === replyEndAt) react(engine.handle({ type: 'botSpeechFinished', nowMs: t, replyId }));
  }
  return { actions };
}

run(50_000); // warm up the JIT
let minorGcs = 0;
const gcs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 1) minorGcs++;
});
gcs.observe({ entryTypes: ['gc'] });
const t0 = process.hrtime.bigint();
const { actions } = run(FRAMES);
const ns = Number(process.hrtime.bigint() - t0);
await new Promise((r) => setTimeout(r, 20)); // let the observer deliver
gcs.disconnect();
console.log(
  JSON.stringify({
    bench: 'turn-taking',
    frames: FRAMES,
    actions,
    nsPerFrame: Math.round(ns / FRAMES),
    framesPerSecond: Math.round(FRAMES / (ns / 1e9)),
    minorGcsPerMillionFrames: Math.round((minorGcs * 1e6) / FRAMES),
  }),
);
