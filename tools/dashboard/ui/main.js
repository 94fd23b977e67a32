// The dashboard page: five views over the server's JSON endpoints and one event stream.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson, streamTraffic } from './api.js';
import { TrafficStore } from './traffic-store.js';
import { ServicesView } from './services.js';
import { TrafficView } from './traffic.js';
import { TraceView } from './trace.js';
import { DeadLettersView } from './dead-letters.js';
import { BusMapView } from './bus-map.js';

const VIEWS = [
  ['services', 'Services & APIs'],
  ['traffic', 'Live traffic'],
  ['dead-letters', 'Dead letters'],
  ['map', 'Bus map'],
];

function useRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'services').split('/');
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const onHash = () => setRoute(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const [status, setStatus] = useState(undefined);
  const [statusError, setStatusError] = useState(undefined);
  const [overview, setOverview] = useState(undefined);
  const [store, setStore] = useState(undefined);
  const [version, setVersion] = useState(0);
  const [streamState, setStreamState] = useState('connecting');
  const [filter, setFilter] = useState({});
  const [selected, setSelected] = useState(undefined);

  const refreshOverview = () => getJson('/api/overview').then(setOverview, (e) => setOverview({ ok: false, problem: { kind: 'error', title: 'The dashboard server does not answer', detail: e.message } }));
  useEffect(() => {
    getJson('/api/status').then(setStatus, (e) => setStatusError(e.message));
    refreshOverview();
    const timer = setInterval(() => {
      refreshOverview();
      getJson('/api/status').then(setStatus, () => undefined);
    }, 5000);
    return () => clearInterval(timer);
  }, []);

  // The live traffic: the server's recent items first, then the stream; at most `capacity` kept here too.
  useEffect(() => {
    if (!status || store) return undefined;
    const s = new TrafficStore(status.capacity);
    setStore(s);
    let pending = [];
    let dropped = 0;
    const close = streamTraffic((batch) => {
      pending.push(...batch.items);
      dropped += batch.dropped;
    }, setStreamState);
    getJson('/api/traffic').then(({ items }) => s.add(items), () => undefined);
    // Render at most 5 times a second however fast traffic comes.
    const timer = setInterval(() => {
      if (pending.length === 0 && dropped === 0) return;
      s.add(pending);
      s.droppedByServer += dropped;
      pending = [];
      dropped = 0;
      setVersion((v) => v + 1);
    }, 200);
    return () => (close(), clearInterval(timer));
  }, [status]);

  const view = route[0];
  const body = useMemo(() => {
    if (statusError) return html`<div class="problem" role="alert"><h2>The dashboard server does not answer</h2><p>${statusError}</p></div>`;
    if (view === 'services') return html`<${ServicesView} overview=${overview} />`;
    if (view === 'dead-letters') return html`<${DeadLettersView} overview=${overview} />`;
    if (!store) return html`<p class="loading">Connecting…</p>`;
    if (view === 'traffic') return html`<${TrafficView} store=${store} version=${version} filter=${filter} setFilter=${setFilter} selected=${selected} setSelected=${setSelected} streamState=${streamState} feeds=${status?.feeds} />`;
    if (view === 'trace') return html`<${TraceView} traceId=${route[1] ?? ''} version=${version} />`;
    if (view === 'map') return html`<${BusMapView} overview=${overview} store=${store} version=${version} />`;
    return html`<p>Unknown view ${view}.</p>`;
  }, [view, route[1], overview, store, version, filter, selected, streamState, status, statusError]);

  return html`<div class="layout">
    <header class="top">
      <h1>lightbus <span class="muted">dashboard</span></h1>
      <span class="bus">bus <b>${status?.busName ?? '…'}</b> at ${status?.endpoint ?? '…'}</span>
      <nav>${VIEWS.map(([id, label]) => html`<a href=${`#/${id}`} class=${view === id ? 'active' : ''} data-view=${id}>${label}</a>`)}</nav>
    </header>
    <main data-view=${view}>${body}</main>
  </div>`;
}

// The server-rendered "Loading…" goes: preact renders into an empty root.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
