/**
 * Cost and timing accuracy of the Exotel simulator: N concurrent simulated calls against an in-process bot
 * that streams 200 ms frames at real time. Prints JSON: CPU ms per call-second (what one process can drive
 * in a load test) and the caller-frame interval error seen by the bot (how real-time the media is).
 * Usage: node --import tsx bench/simulator.ts [calls=1,10,50] [seconds=5]
 */
import { SimulatedCall } from '../src/sim/index.js';
import { startBot } from '../test/sim/bot-server.js';

const counts = (process.argv[2] ?? '1,10,50').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 5);

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const results = [];
for (const n of counts) {
  const arrivals: number[][] = [];
  const bot = await startBot((conn) => {
    const mine: number[] = [];
    arrivals.push(mine);
    conn.on('message', (m) => void (m.event === 'media' && mine.push(performance.now())));
    const frame = Buffer.alloc(3200, 1);
    const t0 = performance.now();
    let i = 0;
    const send = (): void => {
      if (conn.ws.readyState !== conn.ws.OPEN) return;
      conn.sendMedia(frame);
      i += 1;
      setTimeout(send, Math.max(0, t0 + i * 200 - performance.now()));
    };
    send();
  });
  const calls = Array.from({ length: n }, () => new SimulatedCall({ url: bot.wsUrl() }));
  const cpu0 = process.cpuUsage();
  await Promise.all(calls.map((c) => c.start()));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const reports = await Promise.all(calls.map((c) => c.hangup()));
  const cpu = process.cpuUsage(cpu0);
  await bot.close();
  const errors: number[] = [];
  for (const a of arrivals) for (let i = 1; i < a.length; i++) errors.push(Math.abs(a[i] - a[i - 1] - 100));
  errors.sort((x, y) => x - y);
  results.push({
    calls: n,
    seconds,
    cpuMsPerCallSecond: +((cpu.user + cpu.system) / 1000 / (n * seconds)).toFixed(3),
    callerFrameIntervalErrorMs: { p50: +pct(errors, 50).toFixed(2), p99: +pct(errors, 99).toFixed(2), max: +pct(errors, 100).toFixed(2) },
    violations: reports.reduce((s, r) => s + r.violations.length, 0),
    underruns: reports.reduce((s, r) => s + r.pacing.underruns.count, 0),
    note: 'CPU includes the in-process bot',
  });
}
console.log(JSON.stringify(results, null, 2));
