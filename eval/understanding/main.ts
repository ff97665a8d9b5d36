/**
 * Understanding evaluation of the shipped front-desk agent: caller utterances in offline voices, over a simulated
 * telephone line, played as Exotel calls into the gateway; prints a table per set (and JSON with --json).
 *
 *   npm run eval:understanding -- [--quick] [--sets literal,digits] [--voices flite:rms,espeak:en-US]
 *     [--speeds 1,1.25] [--snr 20-30|off] [--codec ulaw|alaw|none] [--stride N] [--concurrency 3] [--cmn batch|live]
 *     [--json out.json]
 *
 * --quick: two voices (flite rms, espeak en-US) at the normal rate and every second utterance of each set
 * (--stride 2). The full run is every caller voice at both rates: about 2000 calls, 1.5-2 hours on 2 cores.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SET_NAMES, type SetName } from './corpus.js';
import type { CmnMode } from '../../src/providers/stt/pocketsphinx.js';
import { startEvalGateway } from './gateway.js';
import { runUnderstandingEval } from './run.js';
import { formatTable } from './table.js';
import { CALLER_VOICES, DEFAULT_CHANNEL, QUICK_VOICES, SPEEDS, voiceById, type ChannelChoice } from './voices.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sets: { type: 'string' },
    voices: { type: 'string' },
    speeds: { type: 'string' },
    snr: { type: 'string', default: '20-30' },
    codec: { type: 'string', default: DEFAULT_CHANNEL.codec },
    concurrency: { type: 'string', default: '3' },
    cmn: { type: 'string' },
    stride: { type: 'string' },
    json: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`eval:understanding: ${message}\n`);
  process.exit(2);
}

const sets = (values.sets?.split(',') ?? [...SET_NAMES]).map((s) => (SET_NAMES.includes(s as SetName) ? (s as SetName) : fail(`no set ${s} (sets: ${SET_NAMES.join(', ')})`)));
const voiceIds = values.voices?.split(',') ?? (values.quick ? QUICK_VOICES : CALLER_VOICES.map((v) => v.id));
const voices = voiceIds.map((id) => {
  try {
    return voiceById(id);
  } catch (err) {
    return fail((err as Error).message);
  }
});
const speeds = values.speeds?.split(',').map(Number) ?? (values.quick ? [1] : [...SPEEDS]);
if (speeds.some((s) => !(s >= 0.5 && s <= 2))) fail('--speeds: rates between 0.5 and 2');
function parseSnr(text: string): ChannelChoice['snrDb'] {
  if (text === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text);
  if (!m) return fail('--snr: a dB value or range like 20-30, or off');
  return [Number(m[1]), Number(m[2] ?? m[1])];
}
const snrDb = parseSnr(values.snr);
if (!['ulaw', 'alaw', 'none'].includes(values.codec)) fail('--codec: ulaw, alaw or none');
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) fail('--concurrency: 1 to 16');
const stride = Number(values.stride ?? (values.quick ? 2 : 1));
if (!Number.isInteger(stride) || stride < 1) fail('--stride: a whole number, 1 or more');

if (values.cmn !== undefined && values.cmn !== 'batch' && values.cmn !== 'live') fail('--cmn: batch or live');
const gateway = await startEvalGateway({ pool: 2, cmn: values.cmn as CmnMode | undefined });
try {
  const report = await runUnderstandingEval(gateway, {
    sets,
    voices,
    speeds,
    channel: { snrDb, codec: values.codec as ChannelChoice['codec'] },
    concurrency,
    stride,
    onResult: (r, done, total) => process.stderr.write(`[${done}/${total}] ${r.correct ? 'ok ' : r.falseAccept ? 'FA ' : 'no '} ${r.condition} ${r.id}: ${r.outcome}${r.heard === undefined ? '' : ` (heard "${r.heard}")`}\n`),
  });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ sets: report.sets, falseAccepts: report.falseAccepts, conditions: report.conditions, durationS: report.durationS })}\n\n${formatTable(report)}\n`);
} finally {
  await gateway.close();
}
process.exit(0);
