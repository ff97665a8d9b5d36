/**
 * Liberal parser for bot -> Exotel messages (spec §4, §15.3): `stream_sid`, `streamSid` or no id at all,
 * extra keys ignored. Only the shape problems Exotel would choke on come back as `invalid`.
 */
export type BotMessage =
  | { kind: 'media'; payload: string; streamSid: string | undefined }
  | { kind: 'mark'; name: string; streamSid: string | undefined }
  | { kind: 'clear'; streamSid: string | undefined }
  | { kind: 'unknown'; event: string }
  | { kind: 'invalid'; reason: string };

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function sidOf(msg: Record<string, unknown>): string | undefined {
  const sid = msg.stream_sid ?? msg.streamSid;
  return typeof sid === 'string' ? sid : undefined;
}

export function parseBotMessage(text: string): BotMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'text frame is not JSON' };
  }
  const msg = record(parsed);
  if (!msg) return { kind: 'invalid', reason: 'message is not a JSON object' };
  const event = msg.event;
  if (typeof event !== 'string') return { kind: 'invalid', reason: 'message has no string "event"' };
  switch (event) {
    case 'media': {
      const payload = record(msg.media)?.payload;
      if (typeof payload !== 'string') return { kind: 'invalid', reason: 'media event without media.payload string' };
      return { kind: 'media', payload, streamSid: sidOf(msg) };
    }
    case 'mark': {
      const name = record(msg.mark)?.name;
      if (typeof name !== 'string') return { kind: 'invalid', reason: 'mark event without mark.name string' };
      return { kind: 'mark', name, streamSid: sidOf(msg) };
    }
    case 'clear':
      return { kind: 'clear', streamSid: sidOf(msg) };
    default:
      return { kind: 'unknown', event };
  }
}
