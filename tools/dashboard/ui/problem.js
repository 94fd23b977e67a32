import { html } from './html.js';

/** A problem the server described (unreachable endpoint, credentials, no bus): never a blank page. */
export function Problem({ problem }) {
  return html`<div class="problem" data-problem=${problem.kind} role="alert">
    <h2>${problem.title}</h2>
    <p>${problem.detail}</p>
  </div>`;
}
