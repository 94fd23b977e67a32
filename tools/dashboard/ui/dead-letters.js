import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson, redrive } from './api.js';
import { short, time } from './format.js';
import { Problem } from './problem.js';

function Queue({ name }) {
  const [listing, setListing] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [confirming, setConfirming] = useState(false);
  const [report, setReport] = useState(undefined);
  const load = () => getJson(`/api/dead-letters/${encodeURIComponent(name)}`).then((l) => (setListing(l), setError(undefined)), (e) => setError(e.message));
  useEffect(() => void load(), [name]);
  const doRedrive = async () => {
    setConfirming(false);
    try {
      setReport(await redrive(name));
    } catch (e) {
      setError(e.message);
    }
    await load();
  };
  const count = listing?.messages.length ?? 0;
  return html`<article class="dlq card" data-queue=${name}>
    <header>
      <h3>${listing ? `${listing.queue.kind === 'rpc' ? 'API' : 'listener'} ${listing.queue.name}` : name}</h3>
      <span class="muted">${name}${listing ? ` · about ${listing.approximateCount} in the queue` : ''}</span>
      <button class="refresh" onClick=${load}>refresh</button>
      <button class="redrive" disabled=${count === 0} onClick=${() => setConfirming(true)}>redrive…</button>
    </header>
    ${confirming
      ? html`<div class="confirm" role="dialog">
          <p>Move ${count} message(s) back to <code>${listing.queue.sourceQueueName}</code> to be handled again? RPC requests past their deadline stay.</p>
          <button class="confirm-redrive" onClick=${doRedrive}>Yes, redrive</button> <button class="cancel" onClick=${() => setConfirming(false)}>Cancel</button>
        </div>`
      : null}
    ${report ? html`<p class="report" role="status">${report.nothingToDo ? 'Nothing to redrive.' : `Moved ${report.moved} message(s) back (${report.method}).`}${report.keptExpired.length ? ` Kept ${report.keptExpired.length} past their deadline.` : ''}${report.failures.length ? ` ${report.failures.length} failed.` : ''}</p>` : null}
    ${error ? html`<p class="problem">${error}</p>` : null}
    ${listing && count === 0 ? html`<p class="muted">empty</p>` : null}
    ${listing && count > 0
      ? html`<table><thead><tr><th>message</th><th>what</th><th>cause</th><th>receives</th><th>dead-lettered</th></tr></thead><tbody>
          ${listing.messages.map(
            (m) => html`<tr class="letter" data-id=${m.content.id ?? m.messageId}>
              <td><code>${short(m.messageId, 14)}</code></td>
              <td>${m.content.kind} <code>${m.content.api ?? '?'}.${m.content.member ?? '?'}</code> ${m.expired ? html`<b>past deadline</b>` : null}</td>
              <td class="cause">${m.cause ? `${m.cause.reason}${m.cause.errorName ? ` — ${m.cause.errorName}: ${m.cause.errorMessage ?? ''}` : ''}` : 'no cause recorded (moved by the redrive policy)'}</td>
              <td>${m.cause?.receiveCount ?? '?'}</td><td>${m.sentAt ? time(m.sentAt) : ''}</td>
            </tr>`,
          )}</tbody></table>`
      : null}
  </article>`;
}

export function DeadLettersView({ overview }) {
  if (!overview) return html`<p class="loading">Reading the bus…</p>`;
  if (!overview.ok) return html`<${Problem} problem=${overview.problem} />`;
  const queues = overview.overview.deadLetterQueues;
  if (queues.length === 0) return html`<p class="muted">This bus has no dead-letter queues.</p>`;
  return html`<div>${queues.map((q) => html`<${Queue} key=${q} name=${q} />`)}</div>`;
}
