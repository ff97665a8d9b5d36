// The `session.update` payload in either protocol shape, and the audio formats the Realtime API speaks.
// GA (developers.openai.com/api/docs/guides/realtime-conversations, "Session lifecycle events"):
//   { type: 'realtime', instructions, output_modalities: ['audio'], tools, tool_choice,
//     audio: { input: { format: { type: 'audio/pcmu' } | { type: 'audio/pcm', rate: 24000 }, transcription, turn_detection },
//              output: { format, voice } } }
// Beta (`OpenAI-Beta: realtime=v1`): a flat object with modalities, voice, input_audio_format ('pcm16' | 'g711_ulaw'
// | 'g711_alaw'), output_audio_format, input_audio_transcription, turn_detection, tools, tool_choice.
import type { ToolSpec } from '../types.js';
import type { RealtimeInputItem } from './realtime-events.js';

export type RealtimeProtocol = 'ga' | 'beta';

/** `pcm16` is 24 kHz PCM16LE mono (the only PCM rate the API takes); the G.711 formats are 8 kHz, one byte a sample. */
export type RealtimeAudioFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

export function formatSampleRate(format: RealtimeAudioFormat): number {
  return format === 'pcm16' ? 24_000 : 8000;
}

export function formatBytesPerMs(format: RealtimeAudioFormat): number {
  return format === 'pcm16' ? 48 : 8;
}

export type RealtimeTurnDetection =
  | {
      type: 'server_vad';
      /** 0..1, default 0.5. */
      threshold?: number;
      prefixPaddingMs?: number;
      silenceDurationMs?: number;
      /** The server answers by itself when the caller stops (default true). */
      createResponse?: boolean;
      /** The server cancels its own reply when the caller starts talking (we do that ourselves, so default false). */
      interruptResponse?: boolean;
    }
  | { type: 'semantic_vad'; eagerness?: 'low' | 'medium' | 'high' | 'auto'; createResponse?: boolean; interruptResponse?: boolean };

export interface RealtimeSessionConfig {
  instructions?: string;
  voice?: string;
  /** Used for both directions. */
  audioFormat: RealtimeAudioFormat;
  /** null: the client commits the input buffer and asks for responses itself. */
  turnDetection: RealtimeTurnDetection | null;
  /** Caller-speech transcription (for the transcript); null turns it off. */
  transcription?: { model: string; language?: string } | null;
  tools?: readonly ToolSpec[];
  toolChoice?: 'auto' | 'none' | 'required';
}

const GA_FORMAT: Record<RealtimeAudioFormat, Record<string, unknown>> = {
  pcm16: { type: 'audio/pcm', rate: 24_000 },
  g711_ulaw: { type: 'audio/pcmu' },
  g711_alaw: { type: 'audio/pcma' },
};

function turnDetectionPayload(td: RealtimeTurnDetection | null): Record<string, unknown> | null {
  if (td === null) return null;
  const out: Record<string, unknown> = { type: td.type };
  if (td.type === 'server_vad') {
    if (td.threshold !== undefined) out.threshold = td.threshold;
    if (td.prefixPaddingMs !== undefined) out.prefix_padding_ms = td.prefixPaddingMs;
    if (td.silenceDurationMs !== undefined) out.silence_duration_ms = td.silenceDurationMs;
  } else if (td.eagerness !== undefined) {
    out.eagerness = td.eagerness;
  }
  out.create_response = td.createResponse ?? true;
  out.interrupt_response = td.interruptResponse ?? false;
  return out;
}

function toolsPayload(tools: readonly ToolSpec[] | undefined): Array<Record<string, unknown>> | undefined {
  return tools?.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters }));
}

/** The `session` object of a `session.update` event. */
export function sessionPayload(config: RealtimeSessionConfig, protocol: RealtimeProtocol): Record<string, unknown> {
  const transcription = config.transcription ? { model: config.transcription.model, ...(config.transcription.language ? { language: config.transcription.language } : {}) } : null;
  const tools = toolsPayload(config.tools);
  const common: Record<string, unknown> = {};
  if (config.instructions !== undefined) common.instructions = config.instructions;
  if (tools) {
    common.tools = tools;
    common.tool_choice = config.toolChoice ?? 'auto';
  }
  if (protocol === 'beta') {
    return {
      modalities: ['audio', 'text'],
      ...common,
      ...(config.voice ? { voice: config.voice } : {}),
      input_audio_format: config.audioFormat,
      output_audio_format: config.audioFormat,
      input_audio_transcription: transcription,
      turn_detection: turnDetectionPayload(config.turnDetection),
    };
  }
  const format = GA_FORMAT[config.audioFormat];
  return {
    type: 'realtime',
    output_modalities: ['audio'],
    ...common,
    audio: {
      input: { format, transcription, turn_detection: turnDetectionPayload(config.turnDetection) },
      output: { format, ...(config.voice ? { voice: config.voice } : {}) },
    },
  };
}

/** A text message for the conversation (history replayed into a fresh session). */
export function textItem(role: 'user' | 'assistant' | 'system', text: string, protocol: RealtimeProtocol): Extract<RealtimeInputItem, { type: 'message' }> {
  // Assistant content is output text; GA calls it `output_text`, beta `text`.
  const type = role === 'assistant' ? (protocol === 'ga' ? 'output_text' : 'text') : 'input_text';
  return { type: 'message', role, content: [{ type, text }] };
}
