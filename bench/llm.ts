// OpenAI-compatible chat adapter against the local fake: what the adapter adds on top of the raw
// HTTP exchange (time to first text, per-chunk cost), the latency it adds to a provider's own
// time to first token, and the sentence chunker's cost. Prints one JSON object.
// Run: npm run bench:llm   (RUNS=n to change the sample count)
import { OpenAICompatibleLanguageModel } from '../src/providers/llm/openai-compatible.js';
import { SentenceChunker } from '../src/providers/text/sentences.js';
import type { ChatMessage } from '../src/providers/types.js';
import { FakeOpenAIChat } from '../test/fakes/openai-chat.js';

const RUNS = Number(process.env.RUNS ?? 100);
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are the front desk of a telecom operator. Keep answers short.' },
  { role: 'user', content: 'What is my balance and when does my plan expire?' },
];
const REPLY =
  'Sure, let me check that for you. Your current balance is ₹520.50, and your plan, the Unlimited 299, expires on the 14th of June. ' +
  'Dr. Rao from billing can help with Rs. 200 refunds, e.g. for double charges. Would you like me to send the details by SMS? ' +
  'आपका बैलेंस पाँच सौ बीस रुपये है। क्या मैं और मदद करूँ?';
// Roughly token-sized pieces, as a model streams them.
const PIECES = REPLY.match(/\s*\S{1,6}/g)!;

const ms = (x: number) => Math.round(x * 1000) / 1000;
function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => ms(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { median: at(0.5), p90: at(0.9), min: ms(s[0]!), max: ms(s[s.length - 1]!) };
}

/** The floor: fetch + reading the body until the first text bytes show up, then to its end; no parsing. */
async function rawExchange(baseUrl: string, key: string, firstText: string): Promise<{ first: number; total: number }> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const marker = `"content":${JSON.stringify(firstText)}`;
  let seen = '';
  let first = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!first) {
      seen += decoder.decode(value, { stream: true });
      if (seen.includes(marker)) first = performance.now() - t0;
    }
  }
  return { first, total: performance.now() - t0 };
}

async function adapterExchange(llm: OpenAICompatibleLanguageModel): Promise<{ first: number; total: number; text: string }> {
  const t0 = performance.now();
  let first = 0;
  let text = '';
  for await (const d of llm.chat({ messages: MESSAGES })) {
    if (d.type === 'text') {
      if (!first) first = performance.now() - t0;
      text += d.text;
    }
  }
  return { first, total: performance.now() - t0, text };
}

/** Time to the first text over loopback HTTP, raw fetch vs the adapter, with the fake's first token after `delayMs`. */
async function firstText(fake: FakeOpenAIChat, baseUrl: string, delayMs: number, runs: number) {
  fake.script = () => ({ text: PIECES });
  fake.firstTokenDelayMs = delayMs;
  const llm = new OpenAICompatibleLanguageModel({ baseUrl, apiKey: fake.apiKey, model: 'gpt-4o-mini' });
  for (let i = 0; i < 10; i++) {
    await rawExchange(baseUrl, fake.apiKey, PIECES[0]!);
    await adapterExchange(llm);
  }
  const raw: number[] = [];
  const adapter: number[] = [];
  const added: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await rawExchange(baseUrl, fake.apiKey, PIECES[0]!);
    const a = await adapterExchange(llm);
    if (a.text !== REPLY) throw new Error('adapter lost text');
    raw.push(r.first);
    adapter.push(a.first);
    added.push(a.first - r.first);
  }
  return { providerFirstTokenMs: delayMs, rawFetchFirstTextMs: stats(raw), adapterFirstTextMs: stats(adapter), adapterMinusRawMs: stats(added) };
}

/** CPU per streamed chunk: the adapter over an in-memory SSE body (injected fetch) vs just reading that body. */
async function perChunk(kind: 'text' | 'tool-calls') {
  const n = 5000;
  const frame = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', system_fingerprint: 'fp_x', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const frames: string[] = [frame({ role: 'assistant', content: '' })];
  if (kind === 'text') {
    for (let i = 0; i < n; i++) frames.push(frame({ content: PIECES[i % PIECES.length] }));
  } else {
    for (let c = 0; c < 2; c++) frames.push(frame({ tool_calls: [{ index: c, id: `call_${c}`, type: 'function', function: { name: 'lookup', arguments: '' } }] }));
    const args = `{"q":"${'x'.repeat(n * 2)}"}`;
    for (let i = 0; i < args.length; i += 4) for (let c = 0; c < 2; c++) frames.push(frame({ tool_calls: [{ index: c, function: { arguments: args.slice(i, i + 4) } }] }));
  }
  frames.push(frame({}, 'stop'), 'data: [DONE]\n\n');
  // Network reads carry a few events each: group frames into ~1.4 kB reads.
  const reads: Uint8Array[] = [];
  for (let i = 0, acc = ''; i < frames.length; i++) {
    acc += frames[i];
    if (acc.length > 1400 || i === frames.length - 1) {
      reads.push(new TextEncoder().encode(acc));
      acc = '';
    }
  }
  const body = () =>
    new ReadableStream<Uint8Array>({
      start(ctl) {
        for (const r of reads) ctl.enqueue(r);
        ctl.close();
      },
    });
  const fakeFetch = (async () => new Response(body(), { headers: { 'content-type': 'text/event-stream' } })) as typeof fetch;
  const llm = new OpenAICompatibleLanguageModel({ baseUrl: 'http://in-memory/v1', model: 'm', fetch: fakeFetch });
  const once = async () => {
    let deltas = 0;
    for await (const _ of llm.chat({ messages: MESSAGES })) deltas++;
    return deltas;
  };
  const readOnly = async () => {
    const reader = body().getReader();
    while (!(await reader.read()).done);
  };
  for (let i = 0; i < 5; i++) await once();
  const adapter: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    await readOnly();
    raw.push(performance.now() - t);
    t = performance.now();
    await once();
    adapter.push(performance.now() - t);
  }
  const per = (xs: number[]) => Math.round((stats(xs).median / frames.length) * 1000 * 100) / 100;
  return { chunks: frames.length, usPerChunkAdapter: per(adapter), usPerChunkReadOnly: per(raw), adapterMs: stats(adapter) };
}

function chunker() {
  const iterations = 2000;
  const t0 = performance.now();
  let chunks = 0;
  for (let i = 0; i < iterations; i++) {
    const c = new SentenceChunker({ markdown: true });
    for (const p of PIECES) chunks += c.push(p).length;
    chunks += c.flush().length;
  }
  const elapsed = performance.now() - t0;
  // How much of the reply must have streamed before the first chunk can be spoken.
  const c = new SentenceChunker({ markdown: true });
  let streamed = 0;
  let first = '';
  for (const p of PIECES) {
    streamed += p.length;
    const out = c.push(p);
    if (out.length > 0) {
      first = out[0]!;
      break;
    }
  }
  return {
    replyChars: REPLY.length,
    chunksPerReply: chunks / iterations,
    usPerReply: Math.round((elapsed / iterations) * 1000 * 10) / 10,
    usPerDelta: Math.round(((elapsed / iterations) * 1000 * 10) / PIECES.length) / 10,
    firstChunk: first,
    charsStreamedBeforeFirstChunk: streamed,
  };
}

const fake = new FakeOpenAIChat();
const { baseUrl, close } = await fake.start();
try {
  const result = {
    runs: RUNS,
    node: process.version,
    firstTextImmediate: await firstText(fake, baseUrl, 0, RUNS),
    firstTextAfter200ms: await firstText(fake, baseUrl, 200, Math.min(RUNS, 30)),
    perChunkText: await perChunk('text'),
    perChunkToolCalls: await perChunk('tool-calls'),
    chunker: chunker(),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await close();
}
