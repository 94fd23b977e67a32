import { html } from './html.js';
import { Problem } from './problem.js';

const BOX_W = 170;
const BOX_H = 46;

/**
 * The bus as a picture: services as boxes; an RPC arrow from a caller to the API's owner, an event
 * arrow from the firing service to each listening service. From the overview (owners, listener
 * rules, workers) and the live traffic (who called and fired what).
 */
export function BusMapView({ overview, store, version }) {
  void version;
  if (!overview) return html`<p class="loading">Reading the bus…</p>`;
  if (!overview.ok) return html`<${Problem} problem=${overview.problem} />`;
  const o = overview.overview;
  const owners = new Map(o.apis.filter((a) => a.owner).map((a) => [a.name, a.owner]));
  const services = new Set([...owners.values(), ...o.workers.map((w) => w.service)]);
  for (const l of o.listeners) if (l.service) services.add(l.service);
  const edges = new Map();
  const addEdge = (from, to, kind, label) => {
    if (!from || !to) return;
    services.add(from);
    services.add(to);
    const key = `${from}|${to}|${kind}`;
    const edge = edges.get(key) ?? { from, to, kind, labels: new Set(), count: 0 };
    edge.labels.add(label);
    edge.count += 1;
    edges.set(key, edge);
  };
  // Declared flows: an API's events to each listening service.
  for (const l of o.listeners) for (const e of l.events) addEdge(owners.get(e.slice(0, e.lastIndexOf('.'))) ?? e.slice(0, e.lastIndexOf('.')), l.service ?? l.rule, 'event', e);
  // Seen flows: calls to an API's owner from whoever made them (the listener that ran when a trace links them), events by sender.
  for (const item of store.items()) {
    if (item.kind === 'event') for (const r of item.routedTo) addEdge(item.sender?.service ?? owners.get(item.api) ?? item.api, r.service ?? r.rule, 'event', `${item.api}.${item.name}`);
    if (item.kind === 'call') addEdge(callerOf(item, store) ?? 'caller', owners.get(item.api) ?? item.api, 'rpc', `${item.api}.${item.name}`);
  }
  const names = [...services].sort();
  if (names.length === 0) return html`<p class="muted">Nothing to draw yet: no service owns an API, listens or reports its state.</p>`;
  const cols = Math.min(4, Math.ceil(Math.sqrt(names.length)));
  const pos = new Map(names.map((n, i) => [n, { x: 30 + (i % cols) * (BOX_W + 110), y: 30 + Math.floor(i / cols) * (BOX_H + 110) }]));
  const width = 60 + cols * (BOX_W + 110);
  const height = 60 + Math.ceil(names.length / cols) * (BOX_H + 110);
  return html`<svg class="bus-map" viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label="services and flows">
    <defs>
      <marker id="arrow-rpc" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="rpc" /></marker>
      <marker id="arrow-event" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="event" /></marker>
    </defs>
    ${[...edges.values()].map((e, index) => {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      const self = e.from === e.to;
      // From the side of one box that faces the other, to the facing side of the other.
      const [x1, y1, x2, y2] =
        b.y > a.y ? [a.x + BOX_W / 2, a.y + BOX_H, b.x + BOX_W / 2, b.y]
        : b.y < a.y ? [a.x + BOX_W / 2, a.y, b.x + BOX_W / 2, b.y + BOX_H]
        : b.x > a.x ? [a.x + BOX_W, a.y + BOX_H / 2, b.x, b.y + BOX_H / 2]
        : [a.x, a.y + BOX_H / 2, b.x + BOX_W, b.y + BOX_H / 2];
      const bend = e.kind === 'rpc' ? 40 : -40;
      const d = self
        ? `M${a.x + BOX_W},${a.y + 12} C${a.x + BOX_W + 70},${a.y - 30} ${a.x + BOX_W + 70},${a.y + BOX_H + 30} ${a.x + BOX_W},${a.y + BOX_H - 12}`
        : `M${x1},${y1} Q${(x1 + x2) / 2 + bend},${(y1 + y2) / 2} ${x2},${y2}`;
      return html`<g class=${`edge ${e.kind}`} data-from=${e.from} data-to=${e.to} data-kind=${e.kind}>
        <path d=${d} marker-end=${`url(#arrow-${e.kind})`} />
        <text x=${self ? a.x + BOX_W + 60 : (x1 + x2) / 2 + bend / 2} y=${(self ? a.y + BOX_H / 2 : (y1 + y2) / 2) + (index % 3) * 13 - 13}>${[...e.labels][0]}${e.labels.size > 1 ? ` +${e.labels.size - 1}` : ''}</text>
      </g>`;
    })}
    ${names.map((n) => {
      const p = pos.get(n);
      const apis = [...owners.entries()].filter(([, s]) => s === n).map(([a]) => a);
      return html`<g class="service" data-service=${n}>
        <rect x=${p.x} y=${p.y} width=${BOX_W} height=${BOX_H} rx="6" />
        <text x=${p.x + 10} y=${p.y + 19} class="name">${n}</text>
        <text x=${p.x + 10} y=${p.y + 36} class="apis">${apis.join(', ')}</text>
      </g>`;
    })}
  </svg>
  <p class="legend"><span class="rpc">━ RPC call (caller → owner)</span> <span class="event">━ event (owner → listener)</span></p>`;
}

/** The service that made a call, when a trace shows the event whose listener made it. */
function callerOf(call, store) {
  if (!call.traceId) return undefined;
  const before = store.items().filter((i) => i.kind === 'event' && i.traceId === call.traceId && i.at <= call.at);
  const event = before[before.length - 1];
  return event?.routedTo.find((r) => r.service)?.service;
}
