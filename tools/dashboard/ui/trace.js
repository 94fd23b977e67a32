import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson } from './api.js';
import { short } from './format.js';

/** One trace: its steps on a timeline, from what the dashboard has seen (refreshed while open). */
export function TraceView({ traceId, version }) {
  const [trace, setTrace] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    getJson(`/api/traces/${encodeURIComponent(traceId)}`).then((t) => (setTrace(t), setError(undefined)), (e) => setError(e.message));
  }, [traceId, version]);
  if (error && !trace) return html`<p class="problem">${error}</p>`;
  if (!trace) return html`<p class="loading">Reading trace ${traceId}…</p>`;
  const total = Math.max(trace.durationMs, 1);
  return html`<div class="trace" data-trace=${trace.traceId}>
    <h3>Trace <code>${trace.traceId}</code></h3>
    <p class="muted">${trace.steps.length} step(s) over ${trace.durationMs} ms, ordered by time. Each message carries the span that sent it; the spans between (a listener's run, a procedure's execution) are on the wire only where a call's result item names the span it ran in.</p>
    <table class="waterfall">
      <thead><tr><th>+ms</th><th>step</th><th>timeline</th><th>detail</th></tr></thead>
      <tbody>${trace.steps.map(
        (step) => html`<tr class=${`step ${step.item.kind}`} data-kind=${step.item.kind} data-name=${`${step.item.api}.${step.item.name}`}>
          <td>${step.offsetMs}</td>
          <td><code>${step.item.kind === 'event' ? '⚡' : '↔'} ${step.item.api}.${step.item.name}</code></td>
          <td class="bar-cell"><div class="bar" style=${{ marginLeft: `${(step.offsetMs / total) * 100}%`, width: `${Math.max(((step.durationMs ?? 0) / total) * 100, 0.8)}%` }}></div></td>
          <td>${step.item.kind === 'call' ? `${step.item.state}${step.durationMs !== undefined ? `, ${step.durationMs} ms` : ''}` : `→ ${step.item.routedTo.map((r) => r.listener ?? r.rule).join(', ') || 'no listener'}`}
            <span class="muted"> ${short(step.item.parameters ?? '', 60)}${step.sentBySpan ? ` · sent by span ${step.sentBySpan}` : ''}${step.parentId ? ` · from call ${step.parentId}` : ''}</span></td>
        </tr>`,
      )}</tbody>
    </table>
  </div>`;
}
