import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOpenAIChat } from './openai-chat.js';

// Reads the fake's raw wire output, independent of our adapter, against OpenAI's documented stream.
async function rawStream(base: string, key: string, body: object): Promise<{ status: number; type: string; events: string[] }> {
  const res = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(text.endsWith('\n\n'), 'every event ends with a blank line');
  const events = text.split('\n\n').filter(Boolean).map((e) => {
    assert.match(e, /^data: /);
    return e.slice(6);
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', events };
}

test('a text stream: chat.completion.chunk objects, role first, empty final delta, usage chunk, [DONE]', async () => {
  const fake = new FakeOpenAIChat({ script: () => ({ text: ['Hel', 'lo'], usage: { promptTokens: 9, completionTokens: 2 } }) });
  const { baseUrl, close } = await fake.start();
  try {
    const { status, type, events } = await rawStream(baseUrl, fake.apiKey, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(status, 200);
    assert.match(type, /^text\/event-stream/);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.match(chunks[0].id, /^chatcmpl-/);
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, 'gpt-4o-mini');
      assert.equal(typeof c.created, 'number');
    }
    assert.deepEqual(chunks[0].choices, [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
    assert.deepEqual(chunks.slice(1, 3).map((c) => c.choices[0].delta), [{ content: 'Hel' }, { content: 'lo' }]);
    assert.deepEqual(chunks[3].choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    assert.deepEqual(chunks[4].choices, []);
    assert.deepEqual(chunks[4].usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    for (const c of chunks.slice(0, 4)) assert.equal(c.usage, null);
  } finally {
    await close();
  }
});

test('a tool-call stream: header delta with id/type/name and empty arguments, then argument fragments by index', async () => {
  const fake = new FakeOpenAIChat({ script: () => ({ toolCalls: [{ id: 'call_1', name: 'get_balance', arguments: '{"account":"A1"}' }], argumentPieceChars: 7 }) });
  const { baseUrl, close } = await fake.start();
  try {
    const { events } = await rawStream(baseUrl, fake.apiKey, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'balance?' }],
      tools: [{ type: 'function', function: { name: 'get_balance', parameters: { type: 'object' } } }],
      stream: true,
    });
    const deltas = events.slice(0, -1).map((e) => JSON.parse(e).choices[0]);
    assert.deepEqual(deltas[0].delta, { role: 'assistant', content: null, refusal: null });
    assert.deepEqual(deltas[1].delta.tool_calls, [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_balance', arguments: '' } }]);
    assert.deepEqual(
      deltas.slice(2, -1).map((d) => d.delta.tool_calls),
      ['{"accou', 'nt":"A1', '"}'].map((piece) => [{ index: 0, function: { arguments: piece } }]),
    );
    assert.equal(deltas.at(-1).finish_reason, 'tool_calls');
  } finally {
    await close();
  }
});

test('refusals use OpenAI status codes and error bodies; requests are recorded even when refused', async () => {
  const fake = new FakeOpenAIChat();
  const { baseUrl, close } = await fake.start();
  try {
    const post = (body: object, key = fake.apiKey) =>
      fetch(`${baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const wrong = await post({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }, 'sk-wrong-0000000000abcd');
    assert.equal(wrong.status, 401);
    const body = (await wrong.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'invalid_api_key');
    assert.match(String(body.error.message), /^Incorrect API key provided: sk-wr\*+abcd\./);

    const emptyTools = await post({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [], stream: true });
    assert.equal(emptyTools.status, 400);
    const orphanTool = await post({ model: 'm', messages: [{ role: 'tool', tool_call_id: 'c', content: 'x' }], stream: true });
    assert.equal(orphanTool.status, 400);
    const unanswered = await post({
      model: 'm',
      messages: [
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'user', content: 'x' },
      ],
      stream: true,
    });
    assert.equal(unanswered.status, 400);
    assert.match(((await unanswered.json()) as { error: { message: string } }).error.message, /did not have response messages: c1/);

    fake.failNext({ kind: 'rate-limited', retryAfterSec: 3 });
    const limited = await post({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');

    assert.equal(fake.requests.length, 5);
    assert.equal(await fake.requests[0]!.outcome, 'refused');
  } finally {
    await close();
  }
});
