// A call's recording: an audio player over the stereo WAV (caller left, agent right), its waveform (caller above,
// agent below) with a playhead, and the transcript turn playing reported through `onTurn` (the call page
// highlights it). Clicking the waveform seeks.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiBytes } from './api.js';

/** Peaks per channel: `columns` max-abs values (0..1) of a PCM16 stereo WAV. */
export function wavPeaks(bytes, columns) {
  const view = new DataView(bytes);
  const channels = view.getUint16(22, true);
  const sampleRate = view.getUint32(24, true);
  const frames = Math.floor((bytes.byteLength - 44) / (2 * channels));
  const peaks = Array.from({ length: channels }, () => new Float32Array(columns));
  const perColumn = Math.max(1, Math.ceil(frames / columns));
  for (let f = 0; f < frames; f++) {
    const col = Math.min(columns - 1, Math.floor(f / perColumn));
    for (let c = 0; c < channels; c++) {
      const v = Math.abs(view.getInt16(44 + (f * channels + c) * 2, true)) / 32768;
      if (v > peaks[c][col]) peaks[c][col] = v;
    }
  }
  return { peaks, sampleRate, seconds: frames / sampleRate };
}

/** The turn the caller was in at `atMs` (epoch ms): the last one started by then and not yet over. */
export function turnAt(turns, atMs) {
  let found = null;
  for (const t of turns) {
    if (t.startedAt > atMs) continue;
    const end = t.endedAt ?? Infinity;
    if (atMs <= end + 250) found = t.seq;
  }
  return found;
}

function draw(canvas, wave, progress) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const lanes = wave.peaks.length;
  const lane = height / lanes;
  const styles = getComputedStyle(canvas);
  const colors = [styles.getPropertyValue('--caller-wave').trim() || '#2b6cb0', styles.getPropertyValue('--agent-wave').trim() || '#2f855a'];
  wave.peaks.forEach((peaks, c) => {
    const mid = lane * c + lane / 2;
    ctx.fillStyle = colors[c % colors.length];
    for (let x = 0; x < peaks.length; x++) {
      const h = Math.max(1, peaks[x] * (lane / 2 - 2));
      ctx.globalAlpha = x / peaks.length <= progress ? 1 : 0.45;
      ctx.fillRect(x, mid - h, 1, h * 2);
    }
  });
  ctx.globalAlpha = 1;
  ctx.fillStyle = styles.color || '#000';
  ctx.fillRect(Math.round(progress * width), 0, 1, height);
}

export function RecordingPlayer({ call, onTurn }) {
  const [state, setState] = useState({ kind: 'loading' });
  const audio = useRef(null);
  const canvas = useRef(null);
  const origin = call.startedAt ?? call.createdAt;

  useEffect(() => {
    const abort = new AbortController();
    let url = null;
    // The record says whether there is a recording: no request (and no 404) for calls that were not recorded.
    if (!call.recording) {
      setState({ kind: 'none' });
      return () => abort.abort();
    }
    apiBytes(call.recording.url, { signal: abort.signal }).then(
      (bytes) => {
        if (abort.signal.aborted) return;
        if (!bytes) return setState({ kind: 'none' });
        url = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
        setState({ kind: 'ready', url, wave: wavPeaks(bytes, 800) });
      },
      (err) => !abort.signal.aborted && setState({ kind: 'error', message: err.message }),
    );
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [call.id, call.recording?.url]);

  useEffect(() => {
    if (state.kind !== 'ready' || !audio.current || !canvas.current) return;
    const el = audio.current;
    let frame = 0;
    let lastSeq;
    const update = () => {
      const progress = state.wave.seconds > 0 ? Math.min(1, el.currentTime / state.wave.seconds) : 0;
      draw(canvas.current, state.wave, progress);
      const seq = el.currentTime > 0 && !el.ended ? turnAt(call.transcript, origin + el.currentTime * 1000) : null;
      if (seq !== lastSeq) onTurn((lastSeq = seq));
    };
    // Every animation frame while playing (timeupdate alone fires only ~4 times a second).
    const loop = () => {
      update();
      if (!el.paused && !el.ended) frame = requestAnimationFrame(loop);
    };
    const onPlay = () => loop();
    el.addEventListener('play', onPlay);
    el.addEventListener('seeked', update);
    el.addEventListener('ended', update);
    update();
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener('play', onPlay);
      el.removeEventListener('seeked', update);
      el.removeEventListener('ended', update);
    };
  }, [state, call.transcript, origin]);

  if (state.kind === 'loading') return html`<p class="muted" role="status">Loading the recording…</p>`;
  if (state.kind === 'none') return html`<p class="muted">No recording of this call.</p>`;
  if (state.kind === 'error') return html`<p class="error" role="alert">Recording: ${state.message}</p>`;
  const seek = (e) => {
    const rect = e.currentTarget.getBoundingClientRect();
    audio.current.currentTime = ((e.clientX - rect.left) / rect.width) * state.wave.seconds;
  };
  return html`<div class="recording">
    <canvas class="waveform" ref=${canvas} width="800" height="96" onClick=${seek} role="img"
      aria-label="Waveform: the caller above, the agent below"></canvas>
    <audio ref=${audio} src=${state.url} controls preload="auto" aria-label="Call recording"></audio>
  </div>`;
}
