import type { Agent, AgentEndReason, AgentSession, CallControl } from '../../src/conversation/call-contract.js';

/** A test agent that records what the call gives it and lets the test act through its CallControl. */
export class ScriptedAgent implements Agent {
  readonly calls: ScriptedCall[] = [];
  private waiters: Array<(c: ScriptedCall) => void> = [];

  constructor(
    readonly name = 'scripted',
    private readonly behaviour: { onAudio?: (call: ScriptedCall, pcm: Int16Array) => void; startDelayMs?: number } = {},
  ) {}

  async start(control: CallControl): Promise<AgentSession> {
    if (this.behaviour.startDelayMs) await new Promise((r) => setTimeout(r, this.behaviour.startDelayMs));
    const call = new ScriptedCall(control);
    this.calls.push(call);
    for (const w of this.waiters.splice(0)) w(call);
    return {
      onAudio: (pcm) => {
        call.samples += pcm.length;
        call.chunks.push(Int16Array.from(pcm));
        this.behaviour.onAudio?.(call, pcm);
      },
      onDtmf: (digit) => call.dtmf.push(digit),
      onEnd: (reason) => {
        call.ends.push(reason);
      },
    };
  }

  nextCall(): Promise<ScriptedCall> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class ScriptedCall {
  samples = 0;
  readonly chunks: Int16Array[] = [];
  readonly dtmf: string[] = [];
  readonly ends: AgentEndReason[] = [];
  constructor(readonly control: CallControl) {}
}
