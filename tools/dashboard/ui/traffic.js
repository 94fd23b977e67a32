import { html } from './html.js';
import { json, short, time } from './format.js';
import { matches } from './traffic-store.js';

const SHOWN_ROWS = 200;

function Filters({ filter, setFilter }) {
  const field = (name, placeholder) => html`<input name=${name} placeholder=${placeholder} value=${filter[name] ?? ''}
    onInput=${(e) => setFilter({ ...filter, [name]: e.currentTarget.value })} />`;
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()}>
    <select name="kind" value=${filter.kind ?? ''} onChange=${(e) => setFilter({ ...filter, kind: e.currentTarget.value })}>
      <option value="">events and calls</option><option value="event">events</option><option value="call">calls</option>
    </select>
    ${field('api', 'api (auth, audit.*)')} ${field('event', 'event')} ${field('procedure', 'procedure')} ${field('param', 'parameter: name=value or text')}
  </form>`;
}

function Detail({ item }) {
  return html`<div class="detail" data-detail=${item.id}>
    ${item.kind === 'event'
      ? html`<p>routed to: ${item.routedTo.length === 0 ? html`<i>no listener</i>` : item.routedTo.map((r) => html`<code class="routed">${r.service ?? '?'}/${r.listener ?? r.rule}</code> `)}</p>
        <p>from ${item.sender?.service ?? '?'}${item.sender?.process ? `/${item.sender.process}` : ''}, fired ${time(item.at)}, seen ${time(item.observedAt)}, via ${item.transport ?? 'eventbridge'}</p>`
      : html`<p>state: <b>${item.state}</b>${item.latencyMs !== undefined ? html` · latency <b class="latency">${item.latencyMs} ms</b> (claim → result)` : null} · by ${item.claimedBy ?? '?'}</p>`}
    <div class="schemas">
      <div><b>${item.kind === 'event' ? 'parameters' : 'request'}</b><pre>${item.parameters ? json(item.parameters) : '(not recorded: larger than 1 KiB, or an older worker)'}</pre></div>
      ${item.kind === 'call' && item.state === 'ok' ? html`<div><b>result</b><pre class="result">${json(item.result)}</pre></div>` : null}
      ${item.kind === 'call' && item.state === 'error' ? html`<div><b>remote error</b><pre class="error">${json(item.error)}</pre></div>` : null}
    </div>
    ${item.traceId ? html`<p><a href=${`#/trace/${item.traceId}`} class="trace-link">open trace ${item.traceId}</a></p>` : html`<p class="muted">no trace context on this message</p>`}
  </div>`;
}

export function TrafficView({ store, version, filter, setFilter, selected, setSelected, streamState, feeds }) {
  void version;
  const all = store.items();
  const matching = all.filter((item) => matches(item, filter));
  const shown = matching.slice(-SHOWN_ROWS).reverse();
  return html`<div>
    ${feeds ? html`<div class="feeds">
      <span class=${`feed ${feeds.events.state}`}>events: ${feeds.events.state}${feeds.events.reason ? ` — ${feeds.events.reason}` : ''}</span>
      <span class=${`feed ${feeds.calls.state}`}>RPC calls: ${feeds.calls.state}${feeds.calls.reason ? ` — ${feeds.calls.reason}` : ''}</span>
      <span class="feed">stream: ${streamState}</span>
    </div>` : null}
    <${Filters} filter=${filter} setFilter=${setFilter} />
    <p class="counts" data-held=${store.size} data-received=${store.received}>
      ${matching.length} matching of ${store.size} held (last ${store.capacity} kept; ${store.received} received, ${store.evicted} let go${store.droppedByServer ? `, ${store.droppedByServer} missed while the page lagged` : ''})${matching.length > SHOWN_ROWS ? `; newest ${SHOWN_ROWS} listed` : ''}
    </p>
    <table class="traffic">
      <thead><tr><th>time</th><th>kind</th><th>name</th><th>parameters</th><th>outcome</th></tr></thead>
      <tbody>
        ${shown.map((item) => {
          const key = `${item.kind}:${item.id}`;
          return html`<tr key=${key} class=${`row ${item.kind} ${item.state ?? ''}`} data-kind=${item.kind} data-name=${`${item.api}.${item.name}`} data-id=${item.id}
              onClick=${() => setSelected(selected === key ? undefined : key)}>
              <td>${time(item.at)}</td><td>${item.kind}${item.kind === 'event' ? html` <span class="transport" data-transport=${item.transport ?? 'eventbridge'}>${item.transport ?? 'eventbridge'}</span>` : null}</td><td><code>${item.api}.${item.name}</code></td><td>${short(item.parameters ?? '')}</td>
              <td>${item.kind === 'event' ? `→ ${item.routedTo.length} listener(s)` : item.state === 'claimed' ? 'running…' : `${item.state} ${item.latencyMs ?? '?'} ms`}</td>
            </tr>
            ${selected === key ? html`<tr class="detail-row"><td colspan="5"><${Detail} item=${item} /></td></tr>` : null}`;
        })}
      </tbody>
    </table>
    ${shown.length === 0 ? html`<p class="muted empty-traffic">Nothing yet: events and calls show here as they happen.</p>` : null}
  </div>`;
}
