// One call's record (GET /calls/:id): what it was, its latency per turn, its transcript and its timeline.
// Sections are separate components; a recorded call's player sits above the transcript and drives `activeSeq`.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { dateTime, duration, offset } from './format.js';
import { LatencyChart, LatencyTable, latencyRows } from './latency.js';
import { Transcript } from './transcript.js';
import { RecordingPlayer } from './recording.js';

function Facts({ call }) {
  const facts = [
    ['Status', html`<span class="state state-${call.status}">${call.status}</span>`],
    ['Direction', call.direction],
    ['From', call.from],
    ['To', call.to],
    ['Agent', call.agent],
    ['Created', dateTime(call.createdAt)],
    ['Media', duration(call.durations?.mediaMs)],
    ['Ended', call.endReason && `${call.endReason}${call.closeCode != null ? ` (close ${call.closeCode})` : ''}`],
    ['Call id', call.id],
    ['CallSid', call.callSid],
    ['callLogId', call.callLogId],
  ];
  return html`<dl class="facts">${facts.filter(([, v]) => v != null && v !== '').map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function Timeline({ events, originMs }) {
  return html`<div class="table-wrap"><table aria-label="Timeline">
    <thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
    <tbody>${events.map(
      (e, i) => html`<tr key=${i}><td>${offset(e.at, originMs)}</td><td>${e.type}</td><td><code>${Object.keys(e.data ?? {}).length ? JSON.stringify(e.data).slice(0, 300) : ''}</code></td></tr>`,
    )}</tbody>
  </table></div>`;
}

export function CallPage({ id }) {
  const [call, setCall] = useState(null);
  const [error, setError] = useState(null);
  const [activeSeq, setActiveSeq] = useState(null);
  useEffect(() => {
    const abort = new AbortController();
    setCall(null);
    setError(null);
    api(`/calls/${encodeURIComponent(id)}`, { signal: abort.signal }).then(setCall, (err) => !abort.signal.aborted && setError(err.message));
    return () => abort.abort();
  }, [id]);

  if (error) return html`<section><h2>Call ${id}</h2><p class="error" role="alert">${error}</p><p><a href="#/history">Back to the history</a></p></section>`;
  if (!call) return html`<section><h2>Call ${id}</h2><p class="muted" role="status">Loading…</p></section>`;
  const rows = latencyRows(call.events);
  const origin = call.startedAt ?? call.createdAt;
  return html`<section aria-labelledby="call-title">
    <h2 id="call-title">Call ${call.callSid ?? call.id}</h2>
    <p><a href="#/history">Back to the history</a></p>
    ${call.recording && html`<div class="panel" style="margin-bottom:16px"><h3>Recording</h3><${RecordingPlayer} call=${call} onTurn=${setActiveSeq} /></div>`}
    <div class="split">
      <div class="panel"><h3>Call</h3><${Facts} call=${call} /></div>
      <div class="panel"><h3>Transcript</h3><${Transcript} turns=${call.transcript} originMs=${origin} activeSeq=${activeSeq} /></div>
    </div>
    <div class="panel" style="margin-top:16px"><h3>Latency per turn</h3><${LatencyChart} rows=${rows} /><${LatencyTable} rows=${rows} /></div>
    <div class="panel" style="margin-top:16px"><h3>Timeline</h3><${Timeline} events=${call.events} originMs=${origin} /></div>
  </section>`;
}
