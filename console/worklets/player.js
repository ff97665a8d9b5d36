// The softphone's loudspeaker, playing Exotel's part: a jitter buffer of the agent's audio at the call's rate,
// resampled to the device's rate. Marks wait in the queue behind the audio sent before them and are reported
// back ('played') only once that audio has been heard; 'clear' drops every queued sample and mark at once.
import { Resampler } from './resampler.js';

class PlayerProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { callRate, prebufferMs = 60 } = options.processorOptions;
    this.callRate = callRate;
    this.resampler = new Resampler(callRate, sampleRate);
    this.prebuffer = Math.round((sampleRate * prebufferMs) / 1000);
    /** Float32Array chunks at the device rate, and { mark } entries, in arrival order. */
    this.queue = [];
    this.offset = 0; // samples of queue[0] already played
    this.queued = 0; // samples waiting
    this.playing = false;
    this.underruns = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(msg) {
    if (msg.type === 'audio') {
      const pcm = new Int16Array(msg.pcm);
      const f = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) f[i] = pcm[i] / 0x8000;
      const chunk = this.resampler.push(f);
      if (chunk.length > 0) {
        this.queue.push(chunk);
        this.queued += chunk.length;
      }
    } else if (msg.type === 'mark') {
      this.queue.push({ mark: msg.name });
    } else if (msg.type === 'clear') {
      const dropped = this.queue.filter((q) => q.mark !== undefined).map((q) => q.mark);
      this.queue = [];
      this.offset = 0;
      this.queued = 0;
      this.playing = false;
      this.resampler.reset();
      this.port.postMessage({ type: 'cleared', dropped });
    }
  }

  /** Reports the marks at the head of the queue: everything before them has played. */
  releaseMarks() {
    while (this.queue.length > 0 && this.queue[0].mark !== undefined) {
      this.port.postMessage({ type: 'played', name: this.queue.shift().mark });
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    this.releaseMarks();
    if (!this.playing) {
      // Start once enough is buffered, or when a mark says no more audio of this utterance is coming.
      const endOfUtterance = this.queue.some((q) => q.mark !== undefined);
      if (this.queued >= this.prebuffer || (this.queued > 0 && endOfUtterance)) {
        this.playing = true;
        this.port.postMessage({ type: 'playing' });
      }
    }
    let written = 0;
    while (this.playing && written < out.length) {
      const head = this.queue[0];
      if (head === undefined) {
        this.playing = false;
        this.underruns++;
        this.port.postMessage({ type: 'underrun', count: this.underruns });
        break;
      }
      if (head.mark !== undefined) {
        this.releaseMarks();
        if (this.queued === 0) this.playing = false; // the utterance has played out
        continue;
      }
      const n = Math.min(out.length - written, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + n), written);
      written += n;
      this.offset += n;
      this.queued -= n;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    out.fill(0, written);
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return true;
  }
}

registerProcessor('exovoice-player', PlayerProcessor);
