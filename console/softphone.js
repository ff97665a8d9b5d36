// The softphone page: pick an agent and a rate, call it from the browser, talk, press keys, watch the transcript.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { Phone } from './phone.js';
import { useLiveFeed } from './live.js';
import { Transcript } from './transcript.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function SoftphonePage() {
  const [agents, setAgents] = useState(null);
  const [agent, setAgent] = useState('');
  const [rate, setRate] = useState(8000);
  const [state, setState] = useState({ state: 'idle' });
  const [callId, setCallId] = useState(null);
  const [latencies, setLatencies] = useState([]);
  const [level, setLevel] = useState(0);
  const [notes, setNotes] = useState([]);
  const [error, setError] = useState(null);
  const phone = useRef(null);
  const feed = useLiveFeed(callId);

  useEffect(() => {
    api('/console/agents').then(
      (a) => {
        setAgents(a.agents);
        setAgent(a.defaultAgent);
      },
      (err) => setError(err.message),
    );
    return () => phone.current?.hangup();
  }, []);

  const inCall = state.state === 'in-call';
  useEffect(() => {
    if (!inCall) return;
    const onKey = (e) => {
      if (e.target.closest?.('input, select, textarea')) return;
      if (KEYS.includes(e.key)) phone.current?.dtmf(e.key);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [inCall]);

  const call = async (e) => {
    e.preventDefault();
    setError(null);
    setLatencies([]);
    setNotes([]);
    const p = new Phone({
      state: (s, detail) => setState({ state: s, detail }),
      latency: (ms) => setLatencies((l) => [...l, ms]),
      level: (v) => setLevel(v),
      event: (text) => setNotes((n) => [...n.slice(-4), text]),
    });
    phone.current = p;
    try {
      const info = await p.call({ agent, sampleRate: rate });
      setCallId(info.callId);
    } catch (err) {
      setError(err.message);
    }
  };

  const busy = state.state === 'starting' || state.state === 'hanging-up';
  const last = latencies.at(-1);
  return html`<section aria-labelledby="phone-title">
    <h2 id="phone-title">Softphone</h2>
    <div class="split">
      <div class="panel">
        <form onSubmit=${call} aria-label="New call">
          <fieldset disabled=${inCall || busy}>
            <legend>Call</legend>
            <div class="row">
              <div class="field">
                <label for="phone-agent">Agent</label>
                <select id="phone-agent" value=${agent} onChange=${(e) => setAgent(e.target.value)} required>
                  ${(agents ?? []).map((a) => html`<option value=${a}>${a}</option>`)}
                </select>
              </div>
              <div class="field">
                <label for="phone-rate">Audio</label>
                <select id="phone-rate" value=${rate} onChange=${(e) => setRate(Number(e.target.value))}>
                  <option value="8000">8 kHz (telephone)</option>
                  <option value="16000">16 kHz (wide band)</option>
                </select>
              </div>
              <button type="submit" disabled=${!agents}>Call</button>
            </div>
          </fieldset>
        </form>
        <p class="status" role="status" data-state=${state.state}>
          ${{ idle: 'Ready.', starting: 'Connecting…', 'in-call': 'In call: speak, or use the keypad (keys 0-9, * and # work too).', 'hanging-up': 'Hanging up…', ended: state.detail, failed: `Could not call: ${state.detail}` }[state.state]}
        </p>
        <p class="error" role="alert">${error ?? ''}</p>
        <div class="row">
          <button class="danger" disabled=${!inCall} onClick=${() => phone.current?.hangup()}>Hang up</button>
          <div style="flex:1">
            <div class="muted" id="level-label">Microphone</div>
            <div class="meter" role="meter" aria-labelledby="level-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(Math.min(1, level * 8) * 100)}>
              <div style=${{ width: `${Math.min(1, level * 8) * 100}%` }}></div>
            </div>
          </div>
        </div>
        <h3>Keypad</h3>
        <div class="keypad" role="group" aria-label="Keypad">
          ${KEYS.map((k) => html`<button class="secondary" disabled=${!inCall} onClick=${() => phone.current?.dtmf(k)} aria-label="Key ${k}">${k}</button>`)}
        </div>
        <h3>Round trip</h3>
        <p data-latency=${last ?? ''}>
          ${last === undefined
            ? html`<span class="muted">From the end of your speech to the agent's reply playing: shown after your first question.</span>`
            : html`Last reply heard <strong>${last} ms</strong> after you stopped talking${latencies.length > 1 ? ` (median of ${latencies.length}: ${[...latencies].sort((a, b) => a - b)[latencies.length >> 1]} ms)` : ''}.`}
        </p>
        ${notes.length > 0 && html`<ul class="muted">${notes.map((n) => html`<li>${n}</li>`)}</ul>`}
      </div>
      <div class="panel">
        <h3>Transcript</h3>
        ${callId ? html`<${Transcript} turns=${feed.turns} originMs=${feed.turns[0]?.startedAt} live=${true} />` : html`<p class="muted">The conversation appears here.</p>`}
        ${callId && state.state === 'ended' && html`<p><a href=${`#/calls/${encodeURIComponent(callId)}`}>Open the call's record</a></p>`}
      </div>
    </div>
  </section>`;
}
