import { SpeechDetector } from '../../audio/speech-detector.js';
import type { VadSampleRate } from '../../audio/vad.js';
import type { Agent, AgentSession, CallControl } from '../../conversation/call-contract.js';

export interface EchoOptions {
  /** Silence that ends an utterance before it is played back. */
  hangoverMs?: number;
  /** Longest utterance echoed. */
  maxUtteranceMs?: number;
}

/**
 * Plays each caller utterance back once the caller stops talking. Useful to check a line end to end: what you
 * hear is exactly what the gateway received, framed and paced as Exotel wants it.
 */
export function createEchoAgent(options: EchoOptions = {}): Agent {
  return {
    name: 'echo',
    async start(call: CallControl): Promise<AgentSession> {
      const detector = await SpeechDetector.create({
        sampleRate: call.info.sampleRate as VadSampleRate,
        hangoverMs: options.hangoverMs ?? 500,
        maxSegmentMs: options.maxUtteranceMs ?? 15_000,
      });
      let turn = 0;
      return {
        onAudio(pcm) {
          for (const ev of detector.push(pcm)) {
            if (ev.type !== 'speech-end' || ev.audio.length === 0) continue;
            const name = `echo-${++turn}`;
            call.record('echo', { turn, startMs: ev.startMs, endMs: ev.endMs, samples: ev.audio.length });
            call.play(ev.audio);
            void call.mark(name);
          }
        },
        onEnd() {
          detector.close();
        },
      };
    },
  };
}
