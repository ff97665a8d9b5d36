/**
 * Encodes bot -> Exotel messages in the canonical shape (protocol spec §4): `stream_sid` at top level, nothing
 * else. Built by string concatenation around a pre-escaped id, since `media` is encoded for every frame.
 */
export interface MessageEncoder {
  media(pcm: Buffer): string;
  mark(name: string): string;
  clear(): string;
}

export function createMessageEncoder(streamSid: string | undefined): MessageEncoder {
  // Exotel treats the id as optional on bot messages; omit it rather than invent one.
  const sid = streamSid ? `,"stream_sid":${JSON.stringify(streamSid)}` : '';
  const mediaPrefix = `{"event":"media"${sid},"media":{"payload":"`;
  return {
    media: (pcm) => mediaPrefix + pcm.toString('base64') + '"}}',
    mark: (name) => `{"event":"mark"${sid},"mark":{"name":${JSON.stringify(name)}}}`,
    clear: () => `{"event":"clear"${sid}}`,
  };
}
