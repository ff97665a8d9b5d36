// A call's transcript: caller and agent turns with their timing. `activeSeq` highlights one turn (the turn
// playing, once a recording player drives it).
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';
import { offset } from './format.js';

export function Transcript({ turns, originMs, activeSeq = null, live = false }) {
  const list = useRef(null);
  useEffect(() => {
    // A live transcript follows its newest turn.
    if (live && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [live, turns.length, turns.at(-1)?.text]);
  if (turns.length === 0) return html`<p class="muted">No turns yet.</p>`;
  return html`<ol class="transcript" ref=${list} aria-live=${live ? 'polite' : undefined} aria-label="Transcript">
    ${turns.map((t) => {
      const took = t.endedAt != null ? `${((t.endedAt - t.startedAt) / 1000).toFixed(1)} s` : 'speaking…';
      return html`<li key=${t.seq} class="${t.role}${t.seq === activeSeq ? ' active' : ''}" data-seq=${t.seq} data-started-at=${t.startedAt}>
        <div class="turn-meta">${t.role === 'caller' ? 'Caller' : 'Agent'} · ${offset(t.startedAt, originMs)} · ${took}${t.interrupted ? ' · interrupted' : ''}</div>
        <div class="turn-text">${t.text}</div>
        ${t.interrupted && t.heardText != null && html`<div class="heard muted">Heard: “${t.heardText}”</div>`}
      </li>`;
    })}
  </ol>`;
}

/** Turns from the live feed merged by seq (an update sends the whole turn again). */
export function mergeTurn(turns, turn) {
  const i = turns.findIndex((t) => t.seq === turn.seq);
  if (i < 0) return [...turns, turn].sort((a, b) => a.seq - b.seq);
  const next = turns.slice();
  next[i] = turn;
  return next;
}
