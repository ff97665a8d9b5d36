// The pure parts of the Realtime bridge: the playout ledger (heard ms per item), heard-text cutting, the audio
// conversions per call rate, and the session.update shapes for both protocols.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ulawToPcm16 } from '../../src/audio/g711.js';
import { RealtimeAudioDecoder, RealtimeAudioEncoder, chooseRealtimeFormat } from '../../src/providers/realtime/realtime-audio.js';
import { PlayoutLedger, heardPrefix } from '../../src/providers/realtime/playout-ledger.js';
import { sessionPayload, textItem, type RealtimeSessionConfig } from '../../src/providers/realtime/realtime-session.js';

describe('PlayoutLedger', () => {
  it('measures heard audio from where the item started, after earlier padded items', () => {
    const ledger = new PlayoutLedger(200);
    const a = ledger.add('a', 0);
    a.providerMs = 700;
    ledger.queued(a, 700, 1000); // playout idle at 1000 ms: starts there
    ledger.closed(a); // padded to 800 ms -> ends at 1800
    const b = ledger.add('b', 0);
    b.providerMs = 500;
    ledger.queued(b, 500, 1200); // queued while `a` plays: starts after a's padding
    assert.equal(b.startMs, 1800);
    assert.equal(ledger.heardMs(a, 1350), 350);
    assert.equal(ledger.heardMs(b, 1350), 0);
    assert.equal(ledger.heardMs(b, 2000), 200);
    // Never more than the provider sent, even when playout padding or underruns stretched it.
    assert.equal(ledger.heardMs(b, 5000), 500);
    ledger.heardAll(a);
    assert.equal(ledger.heardMs(a, 0), 700);
    assert.deepEqual(ledger.unfinished().map((i) => i.itemId), ['b']);
    ledger.prune();
    assert.deepEqual(ledger.items.map((i) => i.itemId), ['b']);
  });

  it('after a clear, the next item starts at the playout position', () => {
    const ledger = new PlayoutLedger(100);
    const a = ledger.add('a', 0);
    ledger.queued(a, 3000, 0);
    ledger.cleared(1234);
    assert.equal(ledger.items.length, 0);
    const b = ledger.add('b', 0);
    ledger.queued(b, 100, 1234);
    assert.equal(b.startMs, 1234);
  });
});

describe('heardPrefix', () => {
  it('cuts at word boundaries, counting a word once half of it was heard', () => {
    const text = 'one two three four';
    assert.equal(heardPrefix(text, 0), '');
    assert.equal(heardPrefix(text, 1), text);
    assert.equal(heardPrefix(text, 0.5), 'one two');
    assert.equal(heardPrefix(text, 0.12), 'one');
    assert.equal(heardPrefix(text, 0.05), '');
  });
});

describe('realtime audio conversions', () => {
  it('picks mu-law at 8 kHz and PCM otherwise', () => {
    assert.equal(chooseRealtimeFormat(8000), 'g711_ulaw');
    assert.equal(chooseRealtimeFormat(16000), 'pcm16');
    assert.equal(chooseRealtimeFormat(24000), 'pcm16');
  });

  it('8 kHz: one mu-law byte per sample each way', () => {
    const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const enc = new RealtimeAudioEncoder(8000, 'g711_ulaw');
    const bytes = enc.encode(pcm);
    assert.equal(bytes.length, 160);
    const dec = new RealtimeAudioDecoder(8000, 'g711_ulaw');
    const { pcm: back, bytes: n } = dec.decode(Buffer.from(bytes).toString('base64'));
    assert.equal(n, 160);
    assert.deepEqual(Array.from(back), Array.from(ulawToPcm16(bytes)));
    assert.equal(dec.msOf(n), 20);
  });

  it('16 kHz: resampled to 24 kHz on the way up and back down, durations kept', () => {
    const enc = new RealtimeAudioEncoder(16000, 'pcm16');
    let up = 0;
    for (let k = 0; k < 50; k++) up += enc.encode(new Int16Array(320)).length; // 1 s in 20 ms frames
    assert.ok(Math.abs(up / 2 - 24000) <= 1, `${up / 2} samples at 24 kHz`);
    const dec = new RealtimeAudioDecoder(16000, 'pcm16');
    let down = 0;
    let providerMs = 0;
    for (let k = 0; k < 10; k++) {
      const { pcm, bytes } = dec.decode(Buffer.alloc(4800).toString('base64')); // 100 ms at 24 kHz
      down += pcm.length;
      providerMs += dec.msOf(bytes);
    }
    down += dec.finish().length;
    assert.equal(providerMs, 1000);
    assert.ok(Math.abs(down - 16000 - 51) <= 1, `${down} samples at 16 kHz (plus the filter delay)`);
  });

  it('24 kHz PCM passes through; a delta split mid-sample carries the odd byte over', () => {
    const dec = new RealtimeAudioDecoder(24000, 'pcm16');
    const samples = Int16Array.from([1000, -2000, 3000, -4000]);
    const bytes = Buffer.from(samples.buffer);
    const a = Array.from(dec.decode(bytes.subarray(0, 3).toString('base64')).pcm);
    const b = Array.from(dec.decode(bytes.subarray(3).toString('base64')).pcm);
    assert.deepEqual([...a, ...b], [1000, -2000, 3000, -4000]);
  });
});

describe('session.update payloads', () => {
  const config: RealtimeSessionConfig = {
    instructions: 'Be brief.',
    voice: 'marin',
    audioFormat: 'g711_ulaw',
    turnDetection: { type: 'server_vad', silenceDurationMs: 400 },
    transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
    tools: [{ name: 't', description: 'd', parameters: { type: 'object' } }],
  };

  it('GA: nested audio object, audio/pcmu, function tools', () => {
    assert.deepEqual(sessionPayload(config, 'ga'), {
      type: 'realtime',
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      tools: [{ type: 'function', name: 't', description: 'd', parameters: { type: 'object' } }],
      tool_choice: 'auto',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
          turn_detection: { type: 'server_vad', silence_duration_ms: 400, create_response: true, interrupt_response: false },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
      },
    });
    assert.deepEqual((sessionPayload({ ...config, audioFormat: 'pcm16', turnDetection: null }, 'ga').audio as { input: unknown }).input, {
      format: { type: 'audio/pcm', rate: 24000 },
      transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
      turn_detection: null,
    });
  });

  it('beta: flat fields', () => {
    const beta = sessionPayload(config, 'beta');
    assert.equal(beta.input_audio_format, 'g711_ulaw');
    assert.equal(beta.output_audio_format, 'g711_ulaw');
    assert.equal(beta.voice, 'marin');
    assert.deepEqual(beta.modalities, ['audio', 'text']);
    assert.deepEqual(beta.input_audio_transcription, { model: 'gpt-4o-mini-transcribe', language: 'en' });
    assert.ok(!('audio' in beta));
  });

  it('text items: assistant content is output_text (GA) or text (beta)', () => {
    assert.deepEqual(textItem('assistant', 'hi', 'ga'), { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] });
    assert.deepEqual(textItem('assistant', 'hi', 'beta').content, [{ type: 'text', text: 'hi' }]);
    assert.deepEqual(textItem('user', 'hi', 'ga').content, [{ type: 'input_text', text: 'hi' }]);
  });
});
