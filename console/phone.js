// The softphone's engine: it plays Exotel towards the gateway over the media WebSocket, exactly as Exotel's
// Voicebot applet does (connected, start with media_format and custom parameters, 20 ms media frames of base64
// PCM16, dtmf, mark echoes once their audio has played, stop on hang-up), with the microphone and loudspeaker
// in audio worklets.
import { api } from './api.js';

/** Caller speech louder than this (RMS, full scale 1) counts as talking, for the reply latency. */
const VOICE_LEVEL = 0.01;

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** base64 PCM16 little-endian -> the samples' buffer. */
function fromBase64(b64) {
  const bin = atob(b64);
  const n = bin.length >> 1;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = (bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8)) << 16 >> 16;
  return pcm.buffer;
}

export class Phone {
  /** `on`: { state(s), latency(ms), level(v), event(text) } */
  constructor(on) {
    this.on = on;
    this.seq = 0;
    this.chunk = 0;
    this.state = 'idle';
    this.voiceAt = null; // last time the caller's level was above VOICE_LEVEL
    this.awaitingReply = false;
  }

  #set(state, detail) {
    this.state = state;
    this.on.state(state, detail);
  }

  #send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  #envelope(event, body) {
    return { event, sequence_number: String(++this.seq), stream_sid: this.streamSid, ...body };
  }

  async call({ agent, sampleRate }) {
    this.#set('starting');
    try {
      const info = await api('/console/softphone', { method: 'POST', body: { agent, sampleRate } });
      this.info = info;
      this.streamSid = crypto.randomUUID().replaceAll('-', '');
      this.ctx = new AudioContext({ latencyHint: 'interactive' });
      await Promise.all([this.ctx.audioWorklet.addModule('/console/worklets/mic.js'), this.ctx.audioWorklet.addModule('/console/worklets/player.js')]);
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      const processorOptions = { callRate: info.sampleRate };
      this.mic = new AudioWorkletNode(this.ctx, 'exovoice-mic', { processorOptions });
      this.player = new AudioWorkletNode(this.ctx, 'exovoice-player', { processorOptions, outputChannelCount: [1] });
      // Held, not only connected: a source node nothing references may be collected, and the microphone go quiet.
      this.source = this.ctx.createMediaStreamSource(this.stream);
      this.source.connect(this.mic);
      for (const node of [this.mic, this.player]) node.onprocessorerror = () => this.on.event('The audio engine failed: hang up and call again.');
      this.mic.connect(this.ctx.destination); // pulls the microphone worklet; it outputs silence
      this.player.connect(this.ctx.destination);
      await this.ctx.resume();
      this.#open(info);
      return info;
    } catch (err) {
      this.#cleanup();
      this.#set('failed', err.message);
      throw err;
    }
  }

  #open(info) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${info.path}`);
    this.ws = ws;
    ws.onopen = () => {
      this.t0 = performance.now();
      ws.send(JSON.stringify({ event: 'connected' }));
      this.#send(
        this.#envelope('start', {
          start: {
            stream_sid: this.streamSid,
            call_sid: info.callId,
            account_sid: 'console',
            from: 'console',
            to: info.agent,
            custom_parameters: { agent: info.agent, source: 'console' },
            media_format: { encoding: 'audio/x-raw', sample_rate: String(info.sampleRate), bit_rate: '16' },
          },
        }),
      );
      this.#set('in-call');
    };
    ws.onmessage = (e) => this.#onMessage(e.data);
    ws.onclose = (e) => {
      const byUs = this.state === 'hanging-up';
      this.#cleanup();
      this.#set('ended', byUs ? 'You hung up.' : `The agent ended the call${e.reason ? ` (${e.reason})` : ''}.`);
    };
    this.mic.port.onmessage = ({ data }) => this.#onMicFrame(data);
    this.player.port.onmessage = ({ data }) => this.#onPlayer(data);
  }

  #onMicFrame({ pcm, level }) {
    const now = performance.now();
    this.on.level(level);
    if (level > VOICE_LEVEL) {
      this.voiceAt = now;
      this.awaitingReply = true;
    }
    if (this.state !== 'in-call') return;
    this.chunk++;
    this.#send(
      this.#envelope('media', {
        media: { chunk: String(this.chunk), timestamp: String(Math.round(now - this.t0)), payload: toBase64(new Uint8Array(pcm)) },
      }),
    );
  }

  #onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.event === 'media' && typeof msg.media?.payload === 'string') {
      const pcm = fromBase64(msg.media.payload);
      this.player.port.postMessage({ type: 'audio', pcm }, [pcm]);
    } else if (msg.event === 'mark' && typeof msg.mark?.name === 'string') {
      this.player.port.postMessage({ type: 'mark', name: msg.mark.name });
    } else if (msg.event === 'clear') {
      this.player.port.postMessage({ type: 'clear' });
      this.on.event('The agent stopped talking (clear).');
    }
  }

  #onPlayer(msg) {
    if (msg.type === 'played') {
      this.#send(this.#envelope('mark', { mark: { name: msg.name } }));
    } else if (msg.type === 'playing') {
      // Reply latency: from the caller's last audible frame (the end of their speech) to the reply being heard.
      if (this.awaitingReply && this.voiceAt !== null) {
        this.on.latency(Math.round(performance.now() - this.voiceAt));
        this.awaitingReply = false;
      }
    }
  }

  dtmf(digit) {
    if (this.state !== 'in-call') return;
    this.#send(this.#envelope('dtmf', { dtmf: { digit, duration: '100' } }));
  }

  hangup() {
    if (this.state !== 'in-call') return this.#cleanup();
    this.#set('hanging-up');
    this.#send(this.#envelope('stop', { stop: { call_sid: this.info.callId, account_sid: 'console', reason: 'callended' } }));
    this.ws.close(1000, 'callended');
  }

  #cleanup() {
    if (this.mic) this.mic.port.onmessage = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.ctx?.close().catch(() => {});
    this.stream = this.ctx = this.source = this.mic = this.player = null;
  }
}
