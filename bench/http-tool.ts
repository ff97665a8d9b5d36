// What an HTTP webhook tool adds on top of the raw request: argument validation, the request, the capped read and
// the JSON parse, against a local server answering at once. Prints one JSON object.
// Run: npm run bench:http-tool   (RUNS=n to change the sample count)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpTool } from '../src/agent/tools/http-tool.js';
import { validateJson, type JsonSchema } from '../src/agent/tools/json-schema.js';
import type { ToolContext } from '../src/agent/tools/types.js';
import type { CallControl } from '../src/conversation/call-contract.js';

const RUNS = Number(process.env.RUNS ?? 500);
const ANSWER = JSON.stringify({ order_id: '12345', status: 'shipped', eta: 'tomorrow', items: Array.from({ length: 20 }, (_, i) => ({ sku: `SKU-${i}`, qty: 1 })) });
const PARAMS: JsonSchema = {
  type: 'object',
  properties: { order_id: { type: 'string', pattern: '^[0-9]{5}$' }, channel: { type: 'string', enum: ['phone', 'web'] } },
  required: ['order_id'],
};

const ms = (x: number) => Math.round(x * 1000) / 1000;
function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => ms(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { median: at(0.5), p90: at(0.9), min: ms(s[0]!), max: ms(s[s.length - 1]!) };
}

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(ANSWER);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
const tool = createHttpTool({ name: 'order_status', description: 'x', parameters: PARAMS, method: 'POST', url, headers: { Authorization: 'Bearer t' } });
const ctx: ToolContext = { call: {} as CallControl, callId: 'c', signal: new AbortController().signal };
const args = { order_id: '12345', channel: 'phone' };

async function raw(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(args) });
  JSON.parse(await res.text());
  return performance.now() - t0;
}

async function viaTool(): Promise<number> {
  const t0 = performance.now();
  await tool.run(args, ctx);
  return performance.now() - t0;
}

for (let i = 0; i < 50; i++) await Promise.all([raw(), viaTool()]); // warm-up
const rawMs: number[] = [];
const toolMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Alternate the order so neither always runs on a warmer connection.
  if (i % 2) {
    rawMs.push(await raw());
    toolMs.push(await viaTool());
  } else {
    toolMs.push(await viaTool());
    rawMs.push(await raw());
  }
}
const N = 100_000;
let t0 = performance.now();
for (let i = 0; i < N; i++) validateJson(PARAMS, args);
const validateUs = ((performance.now() - t0) * 1000) / N;
server.close();
console.log(
  JSON.stringify(
    {
      runs: RUNS,
      answerBytes: ANSWER.length,
      rawFetchMs: stats(rawMs),
      toolMs: stats(toolMs),
      toolMinusRawMedianMs: ms(stats(toolMs).median - stats(rawMs).median),
      validateUsPerCall: Math.round(validateUs * 100) / 100,
    },
    null,
    2,
  ),
);
