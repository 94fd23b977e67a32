// The page's only way to the server: same-origin fetches and one event stream. The CSRF token
// comes from the page's meta tag and goes back only on the redrive POST.
const csrf = () => document.querySelector('meta[name="lightbus-csrf"]')?.getAttribute('content') ?? '';

export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

export async function redrive(queue, ids) {
  const response = await fetch(`/api/dead-letters/${encodeURIComponent(queue)}/redrive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-lightbus-csrf': csrf() },
    body: JSON.stringify({ confirm: queue, ...(ids ? { ids } : {}) }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/** Subscribes to live traffic; `onBatch({ items, dropped })`. Returns a function that closes it. */
export function streamTraffic(onBatch, onState) {
  const source = new EventSource('/api/traffic/stream');
  source.addEventListener('traffic', (e) => onBatch(JSON.parse(e.data)));
  source.addEventListener('hello', () => onState('live'));
  source.onerror = () => onState('reconnecting');
  return () => source.close();
}
