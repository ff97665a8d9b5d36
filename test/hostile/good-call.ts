/**
 * The well-behaved call of the hostile-peer test, in its own process so that building and sending attacks in the
 * test process cannot delay it. It plays Exotel: `connected`, `start`, then a 20 ms media frame every 20 ms
 * (speech, a pause, speech again, for ever), echoing the bot's marks. The echo agent plays each utterance back, so
 * outbound frames arrive nearly all the time. It records when each outbound frame arrived and when its own event
 * loop was blocked, and on request reports the gaps within a window.
 *
 * Parent -> child: {cmd:'open', url} | {cmd:'begin'} | {cmd:'end', settleMs} | {cmd:'close'}
 * Child -> parent: {event:'open'} | {event:'window', stats} | {event:'closed', code} | {event:'error', message}
 */
import WebSocket from 'ws';
import { concat, silence, synthesize } from '../helpers/speech.js';

export interface WindowStats {
  /** Outbound media frames that arrived in the window. */
  frames: number;
  /** Longest interval between two outbound frames of one utterance (no mark between them), ms. */
  maxGapMs: number;
  /** The same after taking off, for each interval, how long this process was busy when the later frame came. */
  maxServerGapMs: number;
  /** Longest block of this process's event loop in the window, ms. */
  clientLagMaxMs: number;
  /** Inbound frames sent in the window. */
  sent: number;
  windowMs: number;
}

const RATE = 8000;
const FRAME_SAMPLES = RATE / 50; // 20 ms
const send = (m: unknown) => process.send?.(m);

let ws: WebSocket | undefined;
let audio: Int16Array;
let pos = 0;
/** Arrival times of outbound media frames; a mark between two frames ends an utterance. */
const arrivals: Array<{ at: number; kind: 'media' | 'mark' }> = [];
/** Intervals in which this process's event loop was blocked: [start, end]. */
const blocks: Array<[number, number]> = [];
const sentAt: number[] = [];
let windowStart = 0;

// Event-loop block sampler: a 5 ms tick that fires late means the loop was busy (or the process descheduled).
const TICK = 5;
let expected = performance.now() + TICK;
setInterval(() => {
  const now = performance.now();
  const late = now - expected;
  if (late > 2) blocks.push([now - late, now]);
  expected = now + TICK;
  prune(now);
}, TICK);

function prune(now: number): void {
  const keep = now - 120_000;
  while (arrivals.length > 0 && arrivals[0].at < keep) arrivals.shift();
  while (blocks.length > 0 && blocks[0][1] < keep) blocks.shift();
  while (sentAt.length > 0 && sentAt[0] < keep) sentAt.shift();
}

/**
 * How late a message handled at `at` may have been seen because this process was busy: the block it was handled
 * in (or that just ended, the sampler notices a block one tick after it).
 */
function blockedAt(at: number): number {
  let ms = 0;
  for (const [a, b] of blocks) if (a <= at && at <= b + TICK) ms = Math.max(ms, Math.min(b, at) - a);
  return ms;
}

function stats(from: number, to: number): WindowStats {
  let frames = 0;
  let maxGapMs = 0;
  let maxServerGapMs = 0;
  let prev: { at: number; kind: string } | undefined;
  for (const a of arrivals) {
    if (a.at < from || a.at > to) {
      prev = a;
      continue;
    }
    if (a.kind === 'media') {
      frames++;
      if (prev?.kind === 'media') {
        const gap = a.at - prev.at;
        maxGapMs = Math.max(maxGapMs, gap);
        maxServerGapMs = Math.max(maxServerGapMs, gap - Math.min(gap, blockedAt(a.at)));
      }
    }
    prev = a;
  }
  let clientLagMaxMs = 0;
  for (const [a, b] of blocks) if (b >= from && a <= to) clientLagMaxMs = Math.max(clientLagMaxMs, b - a);
  return {
    frames,
    maxGapMs: Math.round(maxGapMs),
    maxServerGapMs: Math.round(maxServerGapMs),
    clientLagMaxMs: Math.round(clientLagMaxMs),
    sent: sentAt.filter((t) => t >= from && t <= to).length,
    windowMs: Math.round(to - from),
  };
}

async function open(url: string): Promise<void> {
  const speech = await synthesize('please tell me the opening hours of your shop on saturday and sunday', RATE, 'kal');
  audio = concat(speech, silence(700, RATE));
  ws = new WebSocket(url);
  ws.on('message', (data) => {
    let m: { event?: string; mark?: { name?: string } };
    try {
      m = JSON.parse(data.toString());
    } catch {
      return;
    }
    const at = performance.now();
    if (m.event === 'media') arrivals.push({ at, kind: 'media' });
    else if (m.event === 'mark') {
      arrivals.push({ at, kind: 'mark' });
      ws?.send(JSON.stringify({ event: 'mark', stream_sid: 'good-stream', mark: { name: m.mark?.name } }));
    }
  });
  ws.on('close', (code) => send({ event: 'closed', code }));
  ws.on('error', (err) => send({ event: 'error', message: err.message }));
  await new Promise<void>((resolve, reject) => {
    ws!.once('open', () => resolve());
    ws!.once('error', reject);
  });
  ws.send(JSON.stringify({ event: 'connected' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequence_number: '1',
      stream_sid: 'good-stream',
      start: {
        stream_sid: 'good-stream',
        call_sid: 'good-call',
        account_sid: 'acct',
        from: '+919876543210',
        to: '08047491899',
        custom_parameters: {},
        media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
      },
    }),
  );
  // Frames are due every 20 ms from t0; a late timer sends the frames it owes (as a network burst would).
  const t0 = performance.now();
  let seq = 2;
  setInterval(() => {
    const due = Math.floor((performance.now() - t0) / 20);
    while (seq - 2 <= due && ws?.readyState === WebSocket.OPEN) {
      if (pos + FRAME_SAMPLES > audio.length) pos = 0;
      const frame = audio.subarray(pos, pos + FRAME_SAMPLES);
      pos += FRAME_SAMPLES;
      const payload = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64');
      ws.send(`{"event":"media","sequence_number":"${seq}","stream_sid":"good-stream","media":{"chunk":"${seq - 1}","timestamp":"${(seq - 2) * 20}","payload":"${payload}"}}`);
      seq++;
      sentAt.push(performance.now());
    }
  }, 10);
}

process.on('message', (m: { cmd: string; url?: string; settleMs?: number }) => {
  switch (m.cmd) {
    case 'open':
      open(m.url!).then(
        () => send({ event: 'open' }),
        (err: Error) => send({ event: 'error', message: err.message }),
      );
      return;
    case 'begin':
      windowStart = performance.now();
      send({ event: 'begun' });
      return;
    case 'end':
      setTimeout(() => send({ event: 'window', stats: stats(windowStart, performance.now()) }), m.settleMs ?? 0);
      return;
    case 'close':
      ws?.close(1000);
      setTimeout(() => process.exit(0), 100);
      return;
  }
});
process.on('disconnect', () => process.exit(0));
