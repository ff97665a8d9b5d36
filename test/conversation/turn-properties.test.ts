// Properties of the turn-taking engine under random calls: a model host drives a TurnTaker the way
// the conversation does (VAD frames on a fake clock, ticks at the engine's deadlines, replies queued,
// played sentence by sentence with a mark each, cleared at a barge-in), and after every step checks:
//   - one speaker at a time: the engine says the bot speaks exactly when the host is playing a reply,
//     it never ends the caller's turn (or prompts, or resumes) over a playing reply, and every action
//     names the reply the host actually has in that role;
//   - every mark is resolved (echoed) or cancelled (cleared, call closed) exactly once;
//   - after a hang-up (the engine's or the caller's) nothing more comes out of the engine;
//   - a deadline, once ticked, has passed (a host timer never spins on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TurnTaker, type TurnAction, type TurnInput, type TurnTakingConfig } from '../../src/conversation/turn-taking.js';

const FRAME_MS = 20;
/** How long one reply sentence plays before its mark comes back. */
const SENTENCE_MS = 400;

type Step =
  | { kind: 'voice'; ms: number; voiced: boolean; levelDbfs: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'transcript'; text: string; final: boolean }
  | { kind: 'replyReady'; sentences: number }
  | { kind: 'markEcho' }
  | { kind: 'hostCancels' }
  | { kind: 'dtmf'; digit: string }
  /** A playback event for a reply the host already dropped, arriving late. */
  | { kind: 'late'; event: 'botSpeechStarted' | 'botSpeechFinished' | 'replyCancelled' }
  | { kind: 'callerHangsUp' };

type Resolution = 'echoed' | 'cleared' | 'closed';

interface HostReply {
  id: string;
  /** Sentences in the reply; `heard` of them were echoed. */
  sentences: number;
  heard: number;
  /** Marks outstanding for the sentences being played, oldest first. */
  marks: string[];
}

class ModelHost {
  readonly engine: TurnTaker;
  t = 1000;
  ended = false;
  /** Queued (the brain is thinking) and not playing yet. */
  queued: HostReply | null = null;
  playing: HostReply | null = null;
  /** Cut by a speech barge-in, waiting for the engine's verdict. */
  cut: HostReply | null = null;
  readonly marks = new Map<string, Resolution | null>();
  /** The last reply the host dropped or that was cut for good. */
  dropped: string | null = null;
  #seq = 0;
  #markSeq = 0;

  constructor(config: Partial<TurnTakingConfig>) {
    this.engine = new TurnTaker(config);
    this.feed({ type: 'callStarted', nowMs: this.t });
    this.queue(true);
  }

  step(s: Step): void {
    if (this.ended) {
      // Nothing the caller or the host does reaches a stopped engine.
      assert.deepEqual(this.engine.handle({ type: 'dtmf', nowMs: this.t, digit: '1' }), []);
      assert.deepEqual(this.engine.tick(this.t + 60_000), []);
      assert.equal(this.engine.nextDeadline(), null);
      assert.equal(this.engine.state, 'ended');
      return;
    }
    switch (s.kind) {
      case 'voice':
        for (let end = this.t + s.ms; this.t < end && !this.ended; ) {
          this.#until(this.t + FRAME_MS);
          if (!this.ended) this.feed({ type: 'vad', nowMs: this.t, startMs: this.t - FRAME_MS, voiced: s.voiced, levelDbfs: s.levelDbfs });
        }
        break;
      case 'wait':
        this.#until(this.t + s.ms);
        break;
      case 'transcript':
        this.feed({ type: 'transcript', nowMs: this.t, text: s.text, final: s.final });
        break;
      case 'replyReady': {
        const r = this.queued;
        if (!r) break;
        this.queued = null;
        r.sentences = s.sentences;
        this.#play(r);
        break;
      }
      case 'markEcho':
        this.#echo();
        break;
      case 'hostCancels': {
        // A synthesis error or the like: the host drops its reply itself.
        const r = this.playing ?? this.queued;
        if (!r) break;
        this.#drop(r, 'cleared');
        this.feed({ type: 'replyCancelled', nowMs: this.t, replyId: r.id });
        break;
      }
      case 'dtmf':
        this.feed({ type: 'dtmf', nowMs: this.t, digit: s.digit });
        break;
      case 'late':
        if (this.dropped !== null) this.feed({ type: s.event, nowMs: this.t, replyId: this.dropped });
        break;
      case 'callerHangsUp':
        this.hangUp();
        break;
    }
    this.check();
  }

  /** The call ends from outside; every outstanding mark is closed. */
  hangUp(): void {
    if (this.ended) return;
    this.ended = true;
    assert.deepEqual(this.engine.handle({ type: 'callEnded', nowMs: this.t }), []);
    this.#closeAll();
  }

  feed(input: TurnInput): void {
    for (const a of this.engine.handle(input)) this.#act(a);
  }

  /** One speaker at a time: the engine's floor and the host's agree. */
  check(): void {
    if (this.ended) return;
    assert.equal(this.engine.state === 'botSpeaking', this.playing !== null, `engine ${this.engine.state}, host playing ${this.playing?.id ?? 'nothing'}`);
    assert.ok(!(this.playing && this.queued), 'two replies in flight');
    for (const r of [this.playing, this.cut, this.queued]) if (r) for (const m of r.marks) assert.equal(this.marks.get(m), null);
  }

  /** Lets time pass to `target`, ticking at every deadline on the way (a well-behaved timer). */
  #until(target: number): void {
    for (let at = this.engine.nextDeadline(); !this.ended && at !== null && at <= target; at = this.engine.nextDeadline()) {
      this.t = Math.max(this.t, at);
      for (const a of this.engine.tick(this.t)) this.#act(a);
      const next = this.engine.nextDeadline();
      // A deadline that does not move once reached would spin the host's timer.
      assert.ok(next === null || next > this.t, `deadline ${next} still due after a tick at ${this.t}`);
    }
    this.t = Math.max(this.t, target);
  }

  #act(a: TurnAction): void {
    assert.ok(!this.ended, `${a.type} after the call ended`);
    switch (a.type) {
      case 'endOfTurn':
        assert.equal(this.playing, null, 'the caller’s turn ended while the bot was speaking');
        if (a.interruptedReplyId !== null && this.cut?.id === a.interruptedReplyId) {
          this.dropped = this.cut.id;
          this.cut = null;
        }
        this.queue(false);
        break;
      case 'bargeIn': {
        const r = this.playing;
        assert.equal(r?.id, a.replyId, 'barge-in on a reply that is not playing');
        this.playing = null;
        this.#clear(r!);
        if (a.cause === 'speech') this.cut = r;
        else this.dropped = r!.id;
        break;
      }
      case 'cancelReply':
        assert.equal(this.queued?.id, a.replyId, 'cancel of a reply that is not being prepared');
        this.#drop(this.queued!, 'cleared');
        break;
      case 'resumeReply': {
        const r = this.cut;
        assert.equal(r?.id, a.replyId, 'resume of a reply that was not cut');
        assert.equal(this.playing, null, 'resume over a playing reply');
        this.cut = null;
        if (r!.heard >= r!.sentences) this.feed({ type: 'replyCancelled', nowMs: this.t, replyId: a.replyId });
        else this.#play(r!);
        break;
      }
      case 'idlePrompt':
        assert.equal(this.playing, null, 'an idle prompt over a playing reply');
        this.queue(false);
        break;
      case 'hangup':
        // The wrap-up line is the host's own; the engine has stopped listening.
        this.ended = true;
        assert.equal(this.engine.state, 'ended');
        this.#closeAll();
        break;
      case 'dtmf':
        this.queue(false);
        break;
    }
  }

  /** A new reply replaces whatever reply is in flight (as Conversation.newReply does). */
  queue(greeting: boolean): void {
    const previous = this.playing ?? this.queued;
    if (previous) {
      this.#drop(previous, 'cleared');
      this.feed({ type: 'replyCancelled', nowMs: this.t, replyId: previous.id });
    }
    if (this.ended) return;
    const r: HostReply = { id: `r${++this.#seq}`, sentences: 1, heard: 0, marks: [] };
    this.queued = r;
    this.feed({ type: 'replyQueued', nowMs: this.t, replyId: r.id, greeting });
  }

  #play(r: HostReply): void {
    this.playing = r;
    for (let i = r.heard; i < r.sentences; i++) {
      const m = `${r.id}.${i}.${++this.#markSeq}`;
      this.marks.set(m, null);
      r.marks.push(m);
    }
    this.feed({ type: 'botSpeechStarted', nowMs: this.t, replyId: r.id });
  }

  #echo(): void {
    const r = this.playing;
    if (!r) return;
    this.#until(this.t + SENTENCE_MS);
    if (this.ended || this.playing !== r) return; // cut or ended meanwhile
    this.#resolve(r.marks.shift()!, 'echoed');
    r.heard++;
    if (r.marks.length === 0) {
      this.playing = null;
      this.feed({ type: 'botSpeechFinished', nowMs: this.t, replyId: r.id });
    }
  }

  #drop(r: HostReply, how: Resolution): void {
    this.dropped = r.id;
    if (this.playing === r) this.playing = null;
    if (this.queued === r) this.queued = null;
    for (const m of r.marks.splice(0)) this.#resolve(m, how);
  }

  #clear(r: HostReply): void {
    for (const m of r.marks.splice(0)) this.#resolve(m, 'cleared');
  }

  #closeAll(): void {
    for (const r of [this.playing, this.queued, this.cut]) if (r) this.#drop(r, 'closed');
    this.playing = this.queued = this.cut = null;
  }

  #resolve(mark: string, how: Resolution): void {
    assert.ok(this.marks.has(mark), `unknown mark ${mark}`);
    assert.equal(this.marks.get(mark), null, `mark ${mark} resolved twice (${this.marks.get(mark)}, then ${how})`);
    this.marks.set(mark, how);
  }
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('voice' as const), ms: fc.integer({ min: 20, max: 900 }), voiced: fc.boolean(), levelDbfs: fc.constantFrom(-20, -35, -60) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 6000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transcript' as const), text: fc.constantFrom('', 'hello', 'what are my hours'), final: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replyReady' as const), sentences: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('markEcho' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hostCancels' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dtmf' as const), digit: fc.constantFrom('1', '#') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('late' as const), event: fc.constantFrom('botSpeechStarted' as const, 'botSpeechFinished' as const, 'replyCancelled' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('callerHangsUp' as const) }) },
);

const config: fc.Arbitrary<Partial<TurnTakingConfig>> = fc.record(
  {
    halfDuplex: fc.boolean(),
    dtmfBargeIn: fc.boolean(),
    protectWholeGreeting: fc.boolean(),
    greetingProtectMs: fc.constantFrom(0, 500, 1500),
    falseInterruptionTranscriptWaitMs: fc.constantFrom(null, 300, 1500),
    endpointSilenceAfterFinalMs: fc.constantFrom(null, 250),
    bargeInMinLevelDbfs: fc.constantFrom(null, -50),
    maxTurnMs: fc.constantFrom(null, 2000, 30_000),
    idleMs: fc.constantFrom(1500, 8000),
    maxIdlePrompts: fc.integer({ min: 0, max: 2 }),
    idleWrapUp: fc.boolean(),
    maxCallMs: fc.constantFrom(null, 20_000, 60_000),
  },
  { requiredKeys: [] },
);

test('property: one speaker at a time, every mark resolved once, nothing after hang-up', () => {
  fc.assert(
    fc.property(config, fc.array(step, { minLength: 1, maxLength: 60 }), (cfg, steps) => {
      const host = new ModelHost(cfg);
      host.check();
      for (const s of steps) host.step(s);
      host.hangUp();
      for (const [mark, how] of host.marks) assert.notEqual(how, null, `mark ${mark} never resolved`);
    }),
    { seed: 20261206, numRuns: 400 },
  );
});
