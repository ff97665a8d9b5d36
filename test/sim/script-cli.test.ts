// `exovoice simulate --script` against a real gateway running the shipped agents: every example script under
// examples/scripts/ must pass; a script whose expectations the agent does not meet exits 1 naming what failed;
// a script with mistakes exits 2 naming line and field; a barge-in turn gets the gateway's `clear`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateCommand, type CliIo } from '../../src/cli/simulate.js';
import { parseCallScript, ScriptError } from '../../src/sim/index.js';
import { writeWav } from '../../src/audio/wav.js';
import { startGateway } from '../helpers/gateway.js';
import { concat, silence, synthesize } from '../helpers/speech.js';
import { startScriptGateway, type ScriptGateway } from './script-gateway.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'scripts');

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) };
  return io;
}

interface JsonTurn {
  turn: number;
  kind: string;
  played: boolean;
  latencyMs: number | null;
  intent?: string;
  replyText?: string;
  clear: boolean;
  endedCall: boolean;
  expectations: number;
  failures: string[];
}
interface JsonReport {
  passed: boolean;
  turns: JsonTurn[];
  recordError?: string;
  call: { clears: unknown[]; violations: unknown[]; endedBy: string };
}

let gateway: ScriptGateway;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-script-'));
  gateway = await startScriptGateway();
});

after(async () => {
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(script: string, ...extra: string[]): Promise<{ code: number; report: JsonReport; io: ReturnType<typeof capture> }> {
  const io = capture();
  const code = await simulateCommand(['--url', gateway.webhook, '--frame-ms', '20', '--script', script, '--json', ...extra], io);
  return { code, report: (io.stdout ? JSON.parse(io.stdout) : undefined) as JsonReport, io };
}

async function scriptFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('simulate --script against the shipped agents', { concurrency: 2 }, async () => {
  const examples = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();

  it('ships example scripts for front-desk, echo and front-desk-hindi-keypad', () => {
    for (const name of ['front-desk.yaml', 'echo.yaml', 'front-desk-hindi-keypad.yaml', 'front-desk-barge-in.yaml']) assert.ok(examples.includes(name), name);
  });

  for (const file of examples) {
    it(`examples/scripts/${file} passes`, async () => {
      const { code, report, io } = await run(join(EXAMPLES, file));
      const failures = report?.turns.flatMap((t) => t.failures.map((f) => `turn ${t.turn}: ${f}`));
      assert.equal(code, 0, `${io.stderr}${failures?.join('\n')}`);
      assert.equal(report.passed, true);
      assert.deepEqual(report.call.violations, []);
      const inputs = report.turns.filter((t) => t.kind !== 'pause' && t.kind !== 'hangup');
      assert.ok(inputs.length > 0 && inputs.every((t) => t.played && t.expectations > 0 && t.latencyMs !== null), 'every input was played, answered and checked');
    });
  }

  it('the human-readable report lists each turn with its latency, intent and reply', async () => {
    const io = capture();
    const code = await simulateCommand(['--url', gateway.webhook, '--frame-ms', '20', '--script', join(EXAMPLES, 'front-desk-barge-in.yaml')], io);
    assert.equal(code, 0, io.stdout + io.stderr);
    assert.match(io.stdout, /ok {3}turn 1 \(line \d+\) say "what are your opening hours"\n {7}reply after \d+ ms \([\d.]+ s audio\), intent opening-hours/);
    assert.match(io.stdout, /intent address, clear received/);
    assert.match(io.stdout, /agent: "We're on one hundred feet road/);
    assert.match(io.stdout, /PASS: 2\/2 checked turns passed/);
  });

  it('a barge-in turn gets a clear from the gateway, and the cut reply is recorded as such', async () => {
    const { code, report } = await run(join(EXAMPLES, 'front-desk-barge-in.yaml'));
    assert.equal(code, 0);
    assert.ok(report.call.clears.length >= 1, 'the gateway sent a clear');
    const [hours, address] = report.turns;
    assert.equal(hours.clear, false);
    assert.equal(address.clear, true);
    assert.equal(address.intent, 'address');
    assert.equal((hours as JsonTurn & { interrupted?: boolean }).interrupted, true);
  });

  it('expectations the agent does not meet exit 1, each failure named', async () => {
    const path = await scriptFile(
      'wrong.yaml',
      [
        'agent: front-desk',
        'turns:',
        '  - say: what are your opening hours',
        '    expect: { intent: address, replyContains: [metro station, Sundays], maxLatencyMs: 1, clear: true, endsCall: true }',
        '  - hangup: true',
        '',
      ].join('\n'),
    );
    const { code, report } = await run(path);
    assert.equal(code, 1);
    assert.equal(report.passed, false);
    const [turn] = report.turns;
    assert.equal(turn.intent, 'opening-hours');
    assert.deepEqual(
      turn.failures.map((f) => f.replace(/\d+ ms, over/, 'N ms, over')),
      [
        'reply does not contain "metro station"',
        'intent was "opening-hours", expected "address"',
        'latency N ms, over the 1 ms allowed',
        'no clear from the gateway while this input played',
        'the bot did not end the call after this reply',
      ],
    );
  });

  it('a script with mistakes exits 2, naming the line and field', async () => {
    const path = await scriptFile(
      'bad.yaml',
      ['agent: front-desk', 'turns:', '  - say: hello', '    expect: { intnet: hours }', '  - dtmf: 12x', '  - say: hi', '    dtmf: "1"', ''].join('\n'),
    );
    const io = capture();
    assert.equal(await simulateCommand(['--url', gateway.webhook, '--script', path], io), 2);
    assert.match(io.stderr, /line 4: turns\[0\]\.expect: Unrecognized key: "intnet"/);
    assert.match(io.stderr, /line 5: turns\[1\]\.dtmf: up to 32 keys 0-9, \* and #/);
    assert.match(io.stderr, /line 6: turns\[2\]: a turn has exactly one of say, wav, dtmf, pause, hangup \(got say and dtmf\)/);
    assert.doesNotMatch(io.stderr, /usage:/, 'a script error is not buried under the usage text');

    const missing = capture();
    assert.equal(await simulateCommand(['--script', join(dir, 'nope.yaml')], missing), 2);
    assert.match(missing.stderr, /nope\.yaml: no such file/);
    const mixed = capture();
    assert.equal(await simulateCommand(['--script', join(EXAMPLES, 'echo.yaml'), '--duration', '3'], mixed), 2);
    assert.match(mixed.stderr, /--duration does not go with --script/);
  });
});

describe('parseCallScript', () => {
  it('reads every kind of turn, with defaults and wav paths relative to the script', () => {
    const script = parseCallScript(
      ['agent: echo', 'sampleRate: 16000', 'turns:', '  - wav: clips/a.wav', '    bargeInAtMs: 300', '  - pause: 1.5', '  - dtmf: "12#"', '  - hangup: true'].join('\n'),
      '/scripts/call.yaml',
    );
    assert.equal(script.agent, 'echo');
    assert.equal(script.sampleRate, 16000);
    assert.equal(script.voice, 'rms');
    assert.equal(script.greeting, true);
    assert.deepEqual(
      script.steps.map((s) => ({ ...s })),
      [
        { line: 4, kind: 'wav', wav: 'clips/a.wav', path: '/scripts/clips/a.wav', bargeInAtMs: 300, expect: undefined },
        { line: 6, kind: 'pause', pauseMs: 1500 },
        { line: 7, kind: 'dtmf', dtmf: '12#', gapMs: 300, bargeInAtMs: undefined, expect: undefined },
        { line: 8, kind: 'hangup' },
      ],
    );
  });

  it('rejects what would not play, with the line', () => {
    const issues = (text: string) => {
      try {
        parseCallScript(text, 's.yaml');
      } catch (err) {
        assert.ok(err instanceof ScriptError);
        return err.issues;
      }
      assert.fail('parsed');
    };
    assert.deepEqual(issues('turns: []'), ['line 1: turns: Too small: expected array to have >=1 items']);
    assert.deepEqual(issues('turns:\n  - hangup: true\n  - say: hi'), ['line 2: turns[0]: hangup must be the last turn']);
    assert.deepEqual(issues('turns:\n  - pause: -1'), ['line 2: turns[0].pause: Too small: expected number to be >0']);
    assert.match(issues('turns: [\n')[0], /^line \d+: not valid YAML/);
    assert.deepEqual(issues('turns:\n  - dtmf: 1'), ['line 2: turns[0].dtmf: keys as a quoted string, e.g. dtmf: "0123"']);
    assert.deepEqual(issues('sampleRate: 44100\nturns:\n  - say: hi'), ['line 1: sampleRate: Invalid option: expected one of 8000|16000|24000']);
  });
});

describe('simulate --script without a call record', () => {
  it('plays a WAV utterance, checks the line, and names why the reply text is unknown', async (t) => {
    const gw = await startGateway();
    const wavDir = await mkdtemp(join(tmpdir(), 'sim-script-wav-'));
    t.after(async () => {
      await gw.close();
      await rm(wavDir, { recursive: true, force: true });
    });
    // 16 kHz speech into an 8 kHz call: the simulator resamples it.
    await writeFile(join(wavDir, 'hello.wav'), writeWav(concat(await synthesize('hello there, can you hear me', 16000, 'awb'), silence(200, 16000)), 16000));
    const script = join(wavDir, 'call.yaml');
    await writeFile(
      script,
      ['agent: echo', 'greeting: false', 'turns:', '  - wav: hello.wav', '    expect: { minReplyAudioMs: 1000, maxLatencyMs: 3000, replyContains: hello }', ''].join('\n'),
    );
    const io = capture();
    // The echo-only test gateway has no call store, so no GET /calls/:id.
    const code = await simulateCommand(['--url', `${gw.base}/voicebot/connect`, '--frame-ms', '20', '--script', script, '--json'], io);
    assert.equal(code, 1, io.stderr);
    const report = JSON.parse(io.stdout) as JsonReport;
    const [turn] = report.turns;
    assert.ok(turn.latencyMs !== null && turn.latencyMs <= 3000, `latency ${turn.latencyMs}`);
    assert.match(report.recordError ?? '', /\/calls\/[0-9a-f]+: HTTP 404 \(is the gateway recording calls\? it needs a call store\)/);
    assert.deepEqual(turn.failures, [`reply text unknown: ${report.recordError}`], 'only the record-based expectation fails');
  });
});
