// The LLM brain against the local OpenAI chat fake: what the model is sent (the conversation as heard), tool round
// trips, filler lines for slow tools, the built-in end_call/transfer, retries and failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LlmBrain, type LlmBrainOptions } from '../../src/agent/brain/llm-brain.js';
import type { BrainOutput, ConversationEntry, ReplyPart } from '../../src/conversation/brain.js';
import type { AgentTool } from '../../src/agent/tools/types.js';
import type { CallControl } from '../../src/conversation/call-contract.js';
import { ProviderFailure } from '../../src/conversation/provider-failure.js';
import { OpenAICompatibleLanguageModel } from '../../src/providers/llm/openai-compatible.js';
import { FakeOpenAIChat } from '../fakes/openai-chat.js';

/** The parts of CallControl a brain uses, recording what it is told. */
function recordingCall(): CallControl & { events: { type: string; data: Record<string, unknown> }[]; failures: string[] } {
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const failures: string[] = [];
  return {
    events,
    failures,
    info: { callId: 'c1', customParameters: {}, agentName: 'test', sampleRate: 8000 },
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    play() {},
    flush() {},
    mark: async () => ({ outcome: 'played' }) as never,
    clear() {},
    playedMs: () => 0,
    hangup() {},
    record: (type, data = {}) => void events.push({ type, data }),
    addTurn: () => 0,
    updateTurn() {},
    observeLatency() {},
    countProviderFailure: (provider, code) => void failures.push(`${provider}:${code}`),
  };
}

const chat = new FakeOpenAIChat();
let baseUrl = '';
before(async () => {
  baseUrl = (await chat.start()).baseUrl;
});
after(() => chat.close());

function brain(options: Partial<LlmBrainOptions> = {}): LlmBrain {
  return new LlmBrain({
    llm: new OpenAICompatibleLanguageModel({ baseUrl, apiKey: chat.apiKey, model: 'gpt-4o-mini' }),
    systemPrompt: 'Be brief.',
    greeting: 'Hello.',
    prompts: { goodbye: 'Goodbye.', transfer: 'Connecting you.', notUnderstood: 'Sorry?', filler: 'One moment.', idle: ['Still there?'] },
    firstTokenTimeoutMs: 2000,
    toolTimeoutMs: 2000,
    fillerAfterMs: 1200,
    maxHistory: 40,
    ...options,
  });
}

async function collect(out: BrainOutput | Promise<BrainOutput>): Promise<ReplyPart[]> {
  const o = await out;
  assert.equal(o.kind, 'stream');
  const parts: ReplyPart[] = [];
  for await (const p of (o as Extract<BrainOutput, { kind: 'stream' }>).reply.parts) parts.push(p);
  return parts;
}

const speech = (text: string) => ({ type: 'speech' as const, text, confidence: 0.9 });
const textOf = (parts: ReplyPart[]) => parts.map((p) => (p.type === 'text' ? p.text : p.type === 'line' ? `[${p.text}]` : `{${p.action.type}:${p.action.reason}}`)).join('');

describe('LlmBrain', () => {
  it('sends the conversation as the caller heard it: cut replies hold what was heard, unheard ones are left out', async () => {
    chat.script = () => ({ text: ['Sure', ', it ships today.'] });
    const call = recordingCall();
    const history: ConversationEntry[] = [
      { role: 'agent', text: 'Hello.' },
      { role: 'caller', text: 'where is my order' },
      { role: 'agent', text: 'Let me explain our policy.', interrupted: true },
      { role: 'caller', text: '[DTMF] 42#' },
      { role: 'agent', text: '', interrupted: true },
      { role: 'caller', text: 'just tell me' },
    ];
    const parts = await collect(brain().startSession({ call }).respond(speech('just tell me'), history, new AbortController().signal));
    assert.equal(textOf(parts), 'Sure, it ships today.');
    const sent = chat.requests.at(-1)!.messages!.map((m: { role: string; content: string }) => [m.role, m.content]);
    assert.deepEqual(sent, [
      ['system', 'Be brief.'],
      ['assistant', 'Hello.'],
      ['user', 'where is my order'],
      ['assistant', 'Let me explain our policy.'],
      ['user', '(keypad: 42#)'],
      ['user', 'just tell me'],
    ]);
    // Only the latest lines go when the conversation is long.
    await collect(brain({ maxHistory: 2 }).startSession({ call }).respond(speech('just tell me'), history, new AbortController().signal));
    assert.deepEqual(
      chat.requests.at(-1)!.messages!.map((m: { role: string }) => m.role),
      ['system', 'user'],
    );
  });

  it('runs a tool call with the reply signal, sends the result back, and streams the answer that uses it', async () => {
    const seen: { args: unknown; callId: string; aborted: boolean }[] = [];
    const tool: AgentTool = {
      spec: { name: 'order_status', description: 'Order status', parameters: { type: 'object', properties: { id: { type: 'string' } } } },
      async run(args, ctx) {
        seen.push({ args, callId: ctx.callId, aborted: ctx.signal.aborted });
        return { status: 'packed' };
      },
    };
    chat.script = (req) => {
      const result = req.messages?.find((m: { role: string }) => m.role === 'tool');
      return result ? { text: [`It is ${JSON.parse(result.content).status}.`] } : { text: ['Checking. '], toolCalls: [{ id: 'call_1', name: 'order_status', arguments: '{"id":"42"}' }] };
    };
    const call = recordingCall();
    const parts = await collect(brain({ tools: [tool] }).startSession({ call }).respond(speech('order 42?'), [{ role: 'caller', text: 'order 42?' }], new AbortController().signal));
    assert.equal(textOf(parts), 'Checking. It is packed.', 'a fast tool gets no filler');
    assert.deepEqual(seen, [{ args: { id: '42' }, callId: 'call_1', aborted: false }]);
    const second = chat.requests.at(-1)!;
    assert.deepEqual(second.messages!.slice(-2), [
      { role: 'assistant', content: 'Checking. ', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'order_status', arguments: '{"id":"42"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"status":"packed"}' },
    ]);
    assert.deepEqual(
      second.tools!.map((t: { function: { name: string } }) => t.function.name),
      ['order_status', 'end_call', 'transfer'],
    );
    const record = call.events.find((e) => e.type === 'tool')!;
    assert.equal(record.data.name, 'order_status');
    assert.equal(record.data.ok, true);
  });

  it('a slow tool gets its filler line while it runs; a failing or unknown tool is reported to the model', async () => {
    const slow: AgentTool = {
      spec: { name: 'slow', description: 'Slow', parameters: { type: 'object', properties: {} } },
      filler: 'Let me look that up.',
      fillerAfterMs: 50,
      run: () => new Promise((resolve) => setTimeout(() => resolve({ ok: 1 }), 250)),
    };
    const broken: AgentTool = {
      spec: { name: 'broken', description: 'Broken', parameters: { type: 'object', properties: {} } },
      run: async () => {
        throw new Error('backend down');
      },
    };
    chat.script = (req) => {
      const results = req.messages?.filter((m: { role: string }) => m.role === 'tool') ?? [];
      if (results.length === 0) {
        return { toolCalls: [{ id: 'a', name: 'slow', arguments: '{}' }, { id: 'b', name: 'broken', arguments: '{}' }, { id: 'c', name: 'nope', arguments: '{}' }] };
      }
      return { text: [results.map((r: { content: string }) => r.content).join(' | ')] };
    };
    const call = recordingCall();
    const parts = await collect(brain({ tools: [slow, broken] }).startSession({ call }).respond(speech('go'), [{ role: 'caller', text: 'go' }], new AbortController().signal));
    assert.deepEqual(parts[0], { type: 'line', text: 'Let me look that up.' });
    assert.equal(textOf(parts.slice(1)), '{"ok":1} | {"error":"backend down"} | {"error":"there is no tool named nope"}');
    assert.deepEqual(
      call.events
        .filter((e) => e.type === 'tool')
        .map((e) => [e.data.name, e.data.ok])
        .sort(),
      [
        ['broken', false],
        ['nope', false],
        ['slow', true],
      ],
    );
  });

  it('tool arguments are parsed within limits: a depth bomb reaches no tool, polluting keys are dropped', async () => {
    const seen: unknown[] = [];
    const echo: AgentTool = {
      spec: { name: 'echo', description: 'Echo', parameters: { type: 'object', properties: {} } },
      run: async (args) => {
        seen.push(args);
        return { ok: true };
      },
    };
    const bomb = `{"a":${'['.repeat(40)}${']'.repeat(40)}}`;
    chat.script = (req) => {
      const results = req.messages?.filter((m: { role: string }) => m.role === 'tool') ?? [];
      if (results.length === 0) {
        return { toolCalls: [{ id: 'a', name: 'echo', arguments: bomb }, { id: 'b', name: 'echo', arguments: '{"x":1,"__proto__":{"admin":true}}' }] };
      }
      return { text: [results.map((r: { content: string }) => r.content).join(' | ')] };
    };
    const call = recordingCall();
    const parts = await collect(brain({ tools: [echo] }).startSession({ call }).respond(speech('go'), [{ role: 'caller', text: 'go' }], new AbortController().signal));
    assert.match(textOf(parts), /^\{"error":"the arguments are over the JSON limits \(\$\.a.*nested deeper than 32\)"\} \| \{"ok":true\}$/);
    assert.deepEqual(seen, [{ x: 1 }]);
    assert.equal(Object.getPrototypeOf(seen[0]), Object.prototype);
  });

  it('aborting the reply stops a pending tool (its signal fires) and the stream', async () => {
    let toolSignal: AbortSignal | undefined;
    const hang: AgentTool = {
      spec: { name: 'hang', description: 'Never answers', parameters: { type: 'object', properties: {} } },
      run: (_args, ctx) => {
        toolSignal = ctx.signal;
        return new Promise(() => {});
      },
    };
    chat.script = () => ({ toolCalls: [{ name: 'hang', arguments: '{}' }] });
    const abort = new AbortController();
    const call = recordingCall();
    const pending = collect(brain({ tools: [hang] }).startSession({ call }).respond(speech('go'), [{ role: 'caller', text: 'go' }], abort.signal));
    while (!toolSignal) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
    assert.equal(toolSignal.aborted, true);
    assert.equal(call.events.find((e) => e.type === 'tool')?.data.aborted, true);
  });

  it('end_call and transfer end the reply with the closing line and an action', async () => {
    const call = recordingCall();
    chat.script = () => ({ toolCalls: [{ name: 'end_call', arguments: '{"goodbye":"Bye now."}' }] });
    assert.equal(textOf(await collect(brain().startSession({ call }).respond(speech('bye'), [], new AbortController().signal))), '[Bye now.]{hangup:end_call}');
    chat.script = () => ({ text: ['Goodbye!'], toolCalls: [{ name: 'end_call', arguments: '{}' }] });
    assert.equal(textOf(await collect(brain().startSession({ call }).respond(speech('bye'), [], new AbortController().signal))), 'Goodbye!{hangup:end_call}');
    chat.script = () => ({ toolCalls: [{ name: 'transfer', arguments: '{"reason":"wants a refund"}' }] });
    assert.equal(textOf(await collect(brain().startSession({ call }).respond(speech('refund'), [], new AbortController().signal))), '[Connecting you.]{transfer:wants a refund}');
    assert.deepEqual(
      call.events.filter((e) => e.type === 'tool').map((e) => [e.data.name, e.data.reason]),
      [
        ['end_call', undefined],
        ['end_call', undefined],
        ['transfer', 'wants a refund'],
      ],
    );
  });

  it('a 500 before any text is retried once; a 401 and a drop after text are not: ProviderFailure', async () => {
    chat.script = () => ({ text: ['Fine', ' now.'] });
    let call = recordingCall();
    chat.failNext({ kind: 'server-error' });
    assert.equal(textOf(await collect(brain().startSession({ call }).respond(speech('hi'), [], new AbortController().signal))), 'Fine now.');
    assert.deepEqual(
      call.events.map((e) => [e.type, e.data.code, e.data.retrying]),
      [['provider-failure', 'server', true]],
    );
    assert.deepEqual(call.failures, ['openai-compatible:gpt-4o-mini:server']);

    call = recordingCall();
    chat.failNext({ kind: 'unauthorized' });
    const before = chat.requests.length;
    await assert.rejects(collect(brain().startSession({ call }).respond(speech('hi'), [], new AbortController().signal)), (err: unknown) => {
      assert.ok(err instanceof ProviderFailure);
      assert.deepEqual([err.report.stage, err.report.code, err.report.retrying], ['llm', 'unauthorized', false]);
      return true;
    });
    assert.equal(chat.requests.length, before + 1);

    call = recordingCall();
    chat.failNext({ kind: 'drop-mid-stream', afterChunks: 2 });
    const got: ReplyPart[] = [];
    const out = (await brain().startSession({ call }).respond(speech('hi'), [], new AbortController().signal)) as Extract<BrainOutput, { kind: 'stream' }>;
    await assert.rejects(async () => {
      for await (const p of out.reply.parts) got.push(p);
    }, ProviderFailure);
    assert.equal(textOf(got), 'Fine', 'what was said stays said; nothing is asked again');
    assert.deepEqual(
      call.events.map((e) => [e.data.code, e.data.retrying]),
      [['connection-lost', false]],
    );
  });

  it('answers idle prompts and unrecognised speech itself; keypad digits are collected until #', async () => {
    const call = recordingCall();
    const s = brain().startSession({ call });
    assert.deepEqual(await s.respond({ type: 'idle', count: 3 }, [], new AbortController().signal), { kind: 'reply', reply: { text: 'Still there?', label: 'idle' } });
    assert.deepEqual(await s.respond({ type: 'unrecognised', reason: 'no-match' }, [], new AbortController().signal), { kind: 'reply', reply: { text: 'Sorry?', label: 'not-understood' } });
    assert.deepEqual(await s.respond({ type: 'dtmf', digit: '4' }, [], new AbortController().signal), { kind: 'collect', timeoutMs: 3000 });
    assert.equal((await s.respond({ type: 'dtmf', digit: '#' }, [], new AbortController().signal)).kind, 'stream');
  });
});
