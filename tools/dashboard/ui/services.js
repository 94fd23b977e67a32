import { html } from './html.js';
import { json } from './format.js';
import { Problem } from './problem.js';

function Members({ title, members, kind }) {
  const names = Object.keys(members ?? {});
  if (names.length === 0) return null;
  return html`<div class="members">
    <h4>${title}</h4>
    ${names.map(
      (name) => html`<details class="member" data-member=${name}>
        <summary><code>${name}</code> ${members[name].description ? html`<span class="muted">${members[name].description}</span>` : null}</summary>
        <div class="schemas">
          <div><b>parameters</b><pre>${json(members[name].parameters)}</pre></div>
          ${kind === 'rpc' ? html`<div><b>response</b><pre>${json(members[name].response)}</pre></div>` : null}
        </div>
      </details>`,
    )}
  </div>`;
}

export function ServicesView({ overview }) {
  if (!overview) return html`<p class="loading">Reading the bus…</p>`;
  if (!overview.ok) return html`<${Problem} problem=${overview.problem} />`;
  const o = overview.overview;
  if (o.empty) {
    return html`<div class="problem" data-problem="empty" role="status">
      <h2>Nothing on the bus "${o.busName}" yet</h2>
      <p>No API has published a schema or an owner, no listener rule exists and no worker reports its state. Start a worker (<code>lightbus run --local --bus bus.ts</code>) or deploy a service.</p>
    </div>`;
  }
  return html`<div>
    <section class="apis">
      ${o.apis.map(
        (api) => html`<article class="api card" data-api=${api.name}>
          <header>
            <h3>${api.name}</h3>
            <span class="owner">owner: ${api.owner ?? html`<i>not recorded</i>`}</span>
            ${api.schema ? html`<span class="muted">schema ${api.schema.version} by ${api.schemaPublishedBy}</span>` : html`<span class="muted">no published schema</span>`}
          </header>
          <p class="served">
            ${api.hasRequestQueue ? 'request queue ✓' : 'no request queue'}
            ${api.servedBy.length > 0 ? ` · served by ${api.servedBy.join(', ')}` : ''}
          </p>
          ${api.schema ? html`<${Members} title="procedures" members=${api.schema.rpcs} kind="rpc" /><${Members} title="events" members=${api.schema.events} kind="event" />` : null}
          <div class="listeners">
            <h4>listeners of its events</h4>
            ${listenersOf(o.listeners, api.name).map(
              (l) => html`<div class="listener" data-listener=${l.listener ?? l.rule}><code>${l.service ?? '?'}/${l.listener ?? l.rule}</code> ← ${l.events.filter((e) => e.startsWith(`${api.name}.`)).join(', ')}${l.topic ? html` <span class="transport" data-transport=${l.transport}>via ${l.transport} topic ${l.topic}</span>` : null}</div>`,
            )}
            ${listenersOf(o.listeners, api.name).length === 0 ? html`<span class="muted">none</span>` : null}
          </div>
        </article>`,
      )}
    </section>
    <section class="workers card">
      <h3>Workers</h3>
      ${o.workers.length === 0
        ? html`<p class="muted">No worker state seen on the bus (workers report it when worker-state events are on).</p>`
        : html`<table><thead><tr><th>service</th><th>worker</th><th>status</th><th>runtime</th><th>serves</th><th>listens</th><th>version</th><th>last seen</th></tr></thead>
          <tbody>${o.workers.map(
            (w) => html`<tr><td>${w.service}</td><td>${w.workerId}</td><td>${w.status}</td><td>${w.runtime}</td><td>${w.apis.join(', ')}</td>
              <td>${w.listeners.map((l) => `${l.listener} (${l.api}.${l.event})`).join(', ')}</td><td>${w.version}</td><td>${w.lastSeenAt}</td></tr>`,
          )}</tbody></table>`}
    </section>
  </div>`;
}

function listenersOf(listeners, api) {
  return listeners.filter((l) => l.events.some((e) => e.startsWith(`${api}.`)));
}
