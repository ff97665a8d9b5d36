// Bridges a call to an OpenAI Realtime (speech-to-speech) session: caller audio goes up as it arrives, the model's
// audio comes back into the call's playout with a mark per audio item, and the bridge keeps the model's idea of the
// conversation in line with what the caller actually heard (barge-in: clear + response.cancel + truncate at the
// playout position). Tools run between responses; `end_call` / `transfer` end the call after the last line played.
// Sessions are rotated before the provider's time limit (60 min since GA, 30 before) at a quiet moment, with the
// conversation replayed as text; a refused or dropped session is reported through `onFailure`.
//
// This file is the agent and the caller's side of the turns; the parts are in realtime/: sessions (opening,
// standby, reconnecting), responses (audio to the call, what was heard, barge-in), tools, and the transcript.
import { SpeechDetector } from '../../audio/speech-detector.js';
import type { VadSampleRate } from '../../audio/vad.js';
import type { RealtimeServerEvent } from '../../providers/realtime/realtime-events.js';
import type { Agent, AgentEndReason, AgentSession, CallControl } from '../../conversation/call-contract.js';
import type { RealtimeAgentOptions } from './realtime/options.js';
import { RealtimeResponses } from './realtime/responses.js';
import { RealtimeSessions, type SessionHooks } from './realtime/sessions.js';
import { RealtimeTools, realtimeToolSpecs } from './realtime/tools.js';
import { RealtimeTranscript } from './realtime/transcript.js';

export type { RealtimeAgentOptions, RealtimeFailure, RealtimeFailureKind, RealtimeTool } from './realtime/options.js';

/** One call's bridge. */
class RealtimeBridge implements AgentSession {
  private readonly transcript: RealtimeTranscript;
  private readonly sessions: RealtimeSessions;
  private readonly responses: RealtimeResponses;
  private readonly tools: RealtimeTools;
  private detector: SpeechDetector | undefined;
  private callerSpeaking = false;
  private callerStartedAt = 0;
  private callerEndedAt = 0;

  constructor(
    private readonly call: CallControl,
    private readonly o: RealtimeAgentOptions,
  ) {
    this.transcript = new RealtimeTranscript(call, o.protocol ?? 'ga', o.replayTurns ?? 40);
    const hooks: SessionHooks = {
      event: (e) => this.onEvent(e),
      opened: () => {
        if (o.greeting) this.responses.request({ instructions: o.greeting });
      },
      quiet: () => !this.callerSpeaking && this.responses.idle && this.tools.idle,
      dropped: () => {
        const duringReply = this.responses.answering;
        this.responses.abandon();
        return duringReply;
      },
      resume: () => this.responses.request(undefined),
    };
    this.sessions = new RealtimeSessions(call, o, this.transcript, hooks, realtimeToolSpecs(o));
    this.responses = new RealtimeResponses(call, this.sessions, this.transcript);
    this.tools = new RealtimeTools(call, o, this.sessions, this.responses, this.transcript);
  }

  async init(): Promise<void> {
    if (this.o.turnDetection === 'local') {
      this.detector = await SpeechDetector.create({ sampleRate: this.call.info.sampleRate as VadSampleRate, hangoverMs: this.o.localHangoverMs ?? 500, maxSegmentMs: 30_000 });
    }
    this.sessions.start();
  }

  onAudio(pcm: Int16Array): void {
    if (this.sessions.closed) return;
    this.sessions.send(pcm);
    if (!this.detector) return;
    for (const ev of this.detector.push(pcm)) {
      if (ev.type === 'speech-start') this.callerSpeechStarted('local');
      else if (ev.type === 'speech-end') this.callerSpeechEnded('local');
    }
  }

  onEnd(_reason: AgentEndReason): void {
    this.detector?.close();
    this.sessions.close();
  }

  // ---- server events ------------------------------------------------------------------------

  private onEvent(e: RealtimeServerEvent): void {
    switch (e.type) {
      case 'input_audio_buffer.speech_started':
        return this.callerSpeechStarted('server');
      case 'input_audio_buffer.speech_stopped':
        return this.callerSpeechEnded('server');
      case 'input_audio_buffer.committed':
        return this.transcript.callerItem(e.item_id, this.callerStartedAt || Date.now(), this.callerEndedAt || Date.now());
      case 'conversation.item.input_audio_transcription.completed':
        return this.transcript.text(e.item_id, e.transcript);
      case 'response.created':
        return this.responses.created(e.response.id);
      case 'response.output_item.added':
        return this.tools.callAdded(e);
      case 'response.output_audio.delta':
        return this.responses.audioDelta(e);
      case 'response.output_audio.done':
        return this.responses.audioDone(e.item_id);
      case 'response.output_audio_transcript.delta':
        return this.responses.transcriptDelta(e.item_id, e.delta);
      case 'response.output_audio_transcript.done':
        return this.responses.transcriptDone(e.item_id, e.transcript);
      case 'response.function_call_arguments.done':
        return this.tools.start(e);
      case 'response.done': {
        const response = this.responses.done(e);
        if (response) this.tools.responseDone(response);
        return this.responses.sendPending();
      }
      case 'conversation.item.truncated':
        this.call.record('realtime.truncated', { itemId: e.item_id, audioEndMs: e.audio_end_ms });
        return;
      case 'error': {
        const code = e.error.code ?? 'error';
        // A cancel racing the response's natural end is expected.
        if (code === 'response_cancel_not_active') return;
        this.call.record('realtime.error', { code, message: e.error.message });
        this.call.log.warn({ code, message: e.error.message }, 'realtime error event');
        return;
      }
      default:
        return;
    }
  }

  // ---- caller turns -------------------------------------------------------------------------

  private callerSpeechStarted(source: 'server' | 'local'): void {
    if (this.callerSpeaking) return;
    this.callerSpeaking = true;
    this.callerStartedAt = Date.now();
    if (this.tools.ending) return; // the goodbye plays out
    if (this.responses.audible) this.responses.bargeIn(source);
  }

  private callerSpeechEnded(source: 'server' | 'local'): void {
    if (!this.callerSpeaking) return;
    this.callerSpeaking = false;
    this.callerEndedAt = Date.now();
    this.responses.callerDone();
    this.call.record('realtime.speech-end', { source });
    if (source === 'local' && !this.tools.ending) {
      this.sessions.conn?.commitAudio();
      this.responses.request(undefined);
    }
  }
}

/** An agent that hands each call to an OpenAI Realtime session. */
export function createRealtimeAgent(options: RealtimeAgentOptions): Agent {
  return {
    name: options.name ?? 'realtime',
    async start(call: CallControl): Promise<AgentSession> {
      const bridge = new RealtimeBridge(call, options);
      await bridge.init();
      return bridge;
    },
  };
}
