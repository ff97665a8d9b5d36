// Per-turn latency from a call's `turn.*` timeline events (src/conversation: every stage is ms since the end of
// the caller's speech, grouped by replyId), and its uPlot chart.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

/** The stages drawn, in the order they happen. */
export const STAGES = [
  { key: 'endOfSpeech', label: 'End of speech detected', color: '#8e6bd8' },
  { key: 'recognised', label: 'Recognised', color: '#2f8fd8' },
  { key: 'replyReady', label: 'Reply ready', color: '#d8902f' },
  { key: 'firstFrame', label: 'First audio frame sent', color: '#2fae5a' },
];

const FROM_EVENT = {
  'turn.speech-end': (d) => ({ endOfSpeech: d.endpointMs }),
  'turn.transcript': (d) => ({ recognised: d.ms, text: d.text }),
  'turn.reply-text': (d) => ({ replyReady: d.ms }),
  'turn.first-frame': (d) => ({ firstFrame: d.ms }),
};

/** One row per reply that answered caller speech (the greeting and idle prompts have no end of speech). */
export function latencyRows(events) {
  const rows = new Map();
  for (const e of events) {
    const read = FROM_EVENT[e.type];
    const replyId = e.data?.replyId;
    if (!read || typeof replyId !== 'string') continue;
    const row = rows.get(replyId) ?? { replyId, at: e.at };
    // The first of each stage counts (a reply's later sentences log again).
    for (const [k, v] of Object.entries(read(e.data))) if (row[k] === undefined && v !== undefined) row[k] = v;
    rows.set(replyId, row);
  }
  return [...rows.values()].filter((r) => typeof r.endOfSpeech === 'number');
}

export function LatencyChart({ rows }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || rows.length === 0) return;
    const width = Math.max(280, box.current.clientWidth);
    // Canvas text takes a colour, not the theme's variables: read the one in force.
    const ink = getComputedStyle(box.current).color;
    const data = [rows.map((_, i) => i + 1), ...STAGES.map((s) => rows.map((r) => (typeof r[s.key] === 'number' ? r[s.key] : null)))];
    const plot = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: false } },
        axes: [
          { label: 'Turn', stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, incrs: [1, 2, 5, 10, 20, 50] },
          { label: 'ms after end of speech', stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, size: 60 },
        ],
        series: [{ label: 'Turn' }, ...STAGES.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { size: 7, fill: s.color } }))],
      },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [rows]);
  if (rows.length === 0) return html`<p class="muted">No answered turns: nothing to chart.</p>`;
  return html`<figure style="margin:0">
    <div class="chart" ref=${box} role="img" aria-label="Latency per turn: ${rows.map((r, i) => `turn ${i + 1}, first frame ${r.firstFrame ?? '–'} ms`).join('; ')}"></div>
    <figcaption class="muted">Milliseconds from the end of the caller's speech to each stage, per answered turn.</figcaption>
  </figure>`;
}

/** The same figures as a table (readable without the chart, and by screen readers). */
export function LatencyTable({ rows }) {
  if (rows.length === 0) return null;
  return html`<div class="table-wrap"><table aria-label="Latency per turn">
    <thead><tr><th scope="col">Turn</th><th scope="col">Heard</th>${STAGES.map((s) => html`<th scope="col">${s.label} (ms)</th>`)}</tr></thead>
    <tbody>${rows.map((r, i) => html`<tr key=${r.replyId}><td>${i + 1}</td><td>${r.text ?? ''}</td>${STAGES.map((s) => html`<td>${r[s.key] ?? '–'}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}
