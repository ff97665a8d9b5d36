// Call history: the durable records (GET /calls), filtered and paged newest first.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { dateTime, duration, otherParty } from './format.js';

const STATUSES = ['queued', 'dialing', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'];
const FIELDS = ['status', 'direction', 'number', 'agent', 'from', 'to'];
const PAGE_SIZE = 25;

function queryOf(filters, cursor) {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const f of FIELDS) if (filters[f]) q.set(f, filters[f]);
  if (cursor) q.set('cursor', cursor);
  return q;
}

export function HistoryPage({ query }) {
  const initial = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? '']));
  const [form, setForm] = useState(initial);
  const [filters, setFilters] = useState(initial);
  // Cursors of the pages before this one: "Previous" pops.
  const [cursors, setCursors] = useState([]);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const cursor = cursors.at(-1);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    api(`/calls?${queryOf(filters, cursor)}`, { signal: abort.signal }).then(setPage, (err) => !abort.signal.aborted && setError(err.message));
    return () => abort.abort();
  }, [filters, cursor]);

  const set = (f) => (e) => setForm({ ...form, [f]: e.target.value });
  const apply = (e) => {
    e.preventDefault();
    setCursors([]);
    setFilters(form);
  };

  return html`<section aria-labelledby="history-title">
    <h2 id="history-title">Call history</h2>
    <form class="filters panel" onSubmit=${apply} aria-label="Filter calls">
      <label>Status <select value=${form.status} onChange=${set('status')}><option value="">any</option>${STATUSES.map((s) => html`<option>${s}</option>`)}</select></label>
      <label>Direction <select value=${form.direction} onChange=${set('direction')}><option value="">any</option><option>inbound</option><option>outbound</option></select></label>
      <label>Number <input value=${form.number} onInput=${set('number')} inputmode="tel" size="14" /></label>
      <label>Agent <input value=${form.agent} onInput=${set('agent')} size="12" /></label>
      <label>From <input type="date" value=${form.from} onInput=${set('from')} /></label>
      <label>To (before) <input type="date" value=${form.to} onInput=${set('to')} /></label>
      <button type="submit">Filter</button>
    </form>
    <p class="status error" role="alert">${error ?? ''}</p>
    <div class="panel table-wrap" style="margin-top:12px">
      ${page && page.items.length === 0 && html`<p class="muted">No calls match.</p>`}
      ${page &&
      page.items.length > 0 &&
      html`<table aria-label="Calls">
        <thead><tr><th scope="col">Started</th><th scope="col">Number</th><th scope="col">Agent</th><th scope="col">Direction</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Turns</th><th scope="col">End</th></tr></thead>
        <tbody>
          ${page.items.map(
            (c) => html`<tr key=${c.id}>
              <td><a href=${`#/calls/${encodeURIComponent(c.id)}`}>${dateTime(c.createdAt)}</a></td>
              <td>${otherParty(c)}</td>
              <td>${c.agent ?? '–'}</td>
              <td>${c.direction}</td>
              <td><span class="state state-${c.status}">${c.status}</span></td>
              <td>${duration(c.durations?.mediaMs ?? c.durations?.totalMs)}</td>
              <td>${c.turnCount}</td>
              <td>${c.endReason ?? '–'}</td>
            </tr>`,
          )}
        </tbody>
      </table>`}
      <div class="row" style="margin-top:8px">
        <button class="secondary" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
        <button class="secondary" disabled=${!page?.nextCursor} onClick=${() => setCursors([...cursors, page.nextCursor])}>Next page</button>
      </div>
    </div>
  </section>`;
}
