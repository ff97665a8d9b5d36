// The softphone's microphone: the device's audio resampled to the call's rate and cut into 20 ms PCM16 frames,
// as Exotel sends a caller's audio (continuously, silence included).
import { Resampler } from './resampler.js';

class MicProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const callRate = options.processorOptions.callRate;
    this.resampler = new Resampler(sampleRate, callRate);
    this.frameLength = Math.round(callRate * 0.02);
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
    this.energy = 0;
    this.silence = new Float32Array(128);
  }

  process(inputs) {
    const input = inputs[0]?.[0] ?? this.silence;
    const samples = this.resampler.push(input);
    for (let i = 0; i < samples.length; i++) {
      const v = Math.max(-1, Math.min(1, samples[i]));
      this.energy += v * v;
      this.frame[this.filled++] = v < 0 ? v * 0x8000 : v * 0x7fff;
      if (this.filled === this.frameLength) {
        const level = Math.sqrt(this.energy / this.frameLength);
        // Transferred, not copied: the buffer is detached here, so the next frame gets a new one.
        this.port.postMessage({ pcm: this.frame.buffer, level }, [this.frame.buffer]);
        this.frame = new Int16Array(this.frameLength);
        this.filled = 0;
        this.energy = 0;
      }
    }
    return true;
  }
}

registerProcessor('exovoice-mic', MicProcessor);
