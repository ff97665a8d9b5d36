// The console's shell: navigation by the URL's hash (so every page is a link and the back button works), the
// API key dialog, and the pages.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { onKeyWanted, setApiKey } from './api.js';
import { LivePage } from './live.js';
import { HistoryPage } from './history.js';
import { CallPage } from './call.js';
import { SoftphonePage } from './softphone.js';

const PAGES = [
  { path: 'live', title: 'Live calls' },
  { path: 'history', title: 'History' },
  { path: 'softphone', title: 'Softphone' },
];

function parseHash() {
  const [page = 'live', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const [, query = ''] = location.hash.split('?');
  return { page: page.split('?')[0] || 'live', arg: rest.join('/').split('?')[0], query: new URLSearchParams(query) };
}

function KeyDialog({ reason, onDone }) {
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    setApiKey(input.current.value.trim());
    onDone();
  };
  return html`<div class="dialog-backdrop">
    <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="key-title" onSubmit=${submit}>
      <h2 id="key-title">API key</h2>
      <p>${reason} It is kept in this browser tab only, and sent as a bearer token.</p>
      <label>API key <input ref=${input} type="password" autocomplete="off" required /></label>
      <p><button type="submit">Continue</button></p>
    </form>
  </div>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  const [keyRequest, setKeyRequest] = useState(null);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(
    () =>
      // Several requests may want the key at once: one dialog answers them all.
      onKeyWanted((reason, resolve) =>
        setKeyRequest((current) => ({ reason, waiting: [...(current?.waiting ?? []), resolve] })),
      ),
    [],
  );
  const current = route.page === 'calls' ? 'history' : route.page;
  const title = PAGES.find((p) => p.path === current)?.title ?? 'Call';
  useEffect(() => {
    document.title = `${route.page === 'calls' ? 'Call' : title} · Exovoice console`;
  }, [route.page, title]);

  let page;
  if (route.page === 'history') page = html`<${HistoryPage} query=${route.query} />`;
  else if (route.page === 'calls' && route.arg) page = html`<${CallPage} id=${decodeURIComponent(route.arg)} />`;
  else if (route.page === 'softphone') page = html`<${SoftphonePage} />`;
  else page = html`<${LivePage} />`;

  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <header>
      <h1>Exovoice console</h1>
      <nav aria-label="Console">
        <ul>
          ${PAGES.map((p) => html`<li><a href="#/${p.path}" aria-current=${p.path === current ? 'page' : undefined}>${p.title}</a></li>`)}
        </ul>
      </nav>
    </header>
    <main id="main" tabindex="-1">${page}</main>
    ${keyRequest &&
    html`<${KeyDialog}
      reason=${keyRequest.reason}
      onDone=${() => {
        for (const resolve of keyRequest.waiting) resolve();
        setKeyRequest(null);
      }}
    />`}
  `;
}

render(html`<${App} />`, document.getElementById('app'));
