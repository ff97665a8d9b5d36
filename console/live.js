// Live calls, pushed by the server (GET /console/events): the list, and the selected call's transcript as its
// turns arrive, with hang-up, transfer and say for the live-call control routes.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, ApiError, streamEvents } from './api.js';
import { duration, otherParty } from './format.js';
import { Transcript, mergeTurn } from './transcript.js';

/** Keeps a re-render going every second while mounted (durations tick). */
export function useTick(ms = 1000) {
  const [, setNow] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
}

/**
 * The live feed: the list of calls and, with `callId`, that call's turns, latency events and end.
 * Reconnects when `callId` changes.
 */
export function useLiveFeed(callId) {
  const [sessions, setSessions] = useState(null);
  const [turns, setTurns] = useState([]);
  const [latency, setLatency] = useState([]);
  const [ended, setEnded] = useState(null);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    setTurns([]);
    setLatency([]);
    setEnded(null);
    const abort = new AbortController();
    const path = callId ? `/console/events?call=${encodeURIComponent(callId)}` : '/console/events';
    streamEvents(path, {
      signal: abort.signal,
      onState: setConnected,
      onEvent: (name, data) => {
        if (name === 'sessions') setSessions({ list: data.sessions, skewMs: Date.now() - data.at });
        else if (name === 'turn') setTurns((t) => mergeTurn(t, data));
        else if (name === 'latency') setLatency((l) => [...l, data]);
        else if (name === 'ended') setEnded(data);
      },
    });
    return () => abort.abort();
  }, [callId]);
  return { sessions, turns, latency, ended, connected };
}

/** The live-call control routes (POST /calls/:id/hangup|transfer|say); a server without them answers 404. */
async function control(callId, action, body) {
  try {
    await api(`/calls/${encodeURIComponent(callId)}/${action}`, { method: 'POST', body: body ?? {} });
    return { ok: true, message: `${action}: sent` };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // fastify's own 404 names the route: the server has no control routes at all.
      const noRoute = /^Route .* not found/.test(err.body?.message ?? '');
      return { ok: false, message: noRoute ? 'This server has no live-call control yet.' : 'That call is no longer live.' };
    }
    return { ok: false, message: `${action} failed: ${err.message}` };
  }
}

function Controls({ callId }) {
  const [say, setSay] = useState('');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (action, body) => {
    setBusy(true);
    setResult(await control(callId, action, body));
    setBusy(false);
  };
  return html`<div>
    <div class="row" role="group" aria-label="Call control">
      <button class="danger" disabled=${busy} onClick=${() => run('hangup')}>Hang up</button>
      <button class="secondary" disabled=${busy} onClick=${() => run('transfer')}>Transfer</button>
    </div>
    <form class="row" style="margin-top:8px" onSubmit=${(e) => { e.preventDefault(); if (say.trim()) run('say', { text: say.trim(), mode: 'interrupt' }); }}>
      <label style="flex:1">Say on the call <input value=${say} onInput=${(e) => setSay(e.target.value)} maxlength="500" /></label>
      <button type="submit" disabled=${busy || !say.trim()}>Say</button>
    </form>
    <p class="status ${result && !result.ok ? 'error' : 'muted'}" role="status">${result?.message ?? ''}</p>
  </div>`;
}

export function LivePage() {
  const [selected, setSelected] = useState(null);
  const feed = useLiveFeed(selected);
  useTick();
  const list = feed.sessions?.list ?? [];
  const withNodes = list.some((s) => s.nodeId);
  const chosen = list.find((s) => s.callId === selected);
  const now = Date.now() - (feed.sessions?.skewMs ?? 0);

  return html`<section aria-labelledby="live-title">
    <h2 id="live-title">Live calls <span class="muted" role="status">${feed.sessions ? `(${list.length})` : ''}${feed.connected ? '' : ' · connecting…'}</span></h2>
    <div class="split">
      <div class="panel table-wrap">
        ${feed.sessions && list.length === 0
          ? html`<p class="muted">No calls right now. Place one from the <a href="#/softphone">softphone</a>.</p>`
          : html`<table aria-label="Live calls">
              <thead><tr><th scope="col">Number</th><th scope="col">Agent</th><th scope="col">Direction</th><th scope="col">Duration</th><th scope="col">State</th>${withNodes && html`<th scope="col">Node</th>`}</tr></thead>
              <tbody>
                ${list.map(
                  (s) => html`<tr key=${s.callId} aria-selected=${s.callId === selected ? 'true' : 'false'} data-call-id=${s.callId}>
                    <td><button class="link" onClick=${() => setSelected(s.callId)} aria-label="Show call ${otherParty(s)} (${s.callId})">${otherParty(s)}</button></td>
                    <td>${s.agent ?? '–'}</td>
                    <td>${s.direction ?? '–'}</td>
                    <td>${duration(now - Date.parse(s.startedAt))}</td>
                    <td><span class="state state-${s.state}">${s.state}</span></td>
                    ${withNodes && html`<td>${s.nodeId ?? '–'}</td>`}
                  </tr>`,
                )}
              </tbody>
            </table>`}
      </div>
      <div class="panel" aria-labelledby="selected-title">
        <h3 id="selected-title">${selected ? `Call ${selected}` : 'Transcript'}</h3>
        ${!selected
          ? html`<p class="muted">Choose a call to follow its transcript.</p>`
          : html`
              ${feed.ended ? html`<p>This call has ended. <a href=${`#/calls/${encodeURIComponent(selected)}`}>Open its record</a></p>` : chosen && html`<${Controls} callId=${selected} />`}
              <${Transcript} turns=${feed.turns} originMs=${chosen ? Date.parse(chosen.startedAt) : feed.turns[0]?.startedAt} live=${true} />
            `}
      </div>
    </div>
  </section>`;
}
