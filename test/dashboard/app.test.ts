/** The dashboard's HTTP endpoints (hono's app.request), against a stubbed bus. */
import { createDashboardApp, CSRF_HEADER, LiveTraffic, UnknownDeadLetterQueueError, type DashboardData, type TrafficItem } from '../../local/dashboard';
import type { RedriveReport } from '../../local/dead-letters';

const TOKEN = 'test-token';
const HOST = '127.0.0.1:4777';
const ORIGIN = `http://${HOST}`;
const DLQ = 'bus-listen-audit-recordSignup-dlq';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function event(id: string, api: string, name: string, parameters: Record<string, unknown>, traceparent?: string): TrafficItem {
  const trace = traceparent ? { traceparent, traceId: traceparent.split('-')[1]!, parentSpanId: traceparent.split('-')[2]! } : {};
  return { kind: 'event', id, api, name, parameters, at: 1000, observedAt: 1001, routedTo: [{ rule: 'bus-auth-l', service: 'auth', listener: 'l' }], ...trace };
}

function stub(): { data: DashboardData; redrives: { queue: string; ids?: readonly string[] }[] } {
  const live = new LiveTraffic(10);
  live.add(event('e1', 'customers', 'newCustomer', { email: 'ada@example.com' }, `00-${TRACE}-00f067aa0ba902b7-01`));
  live.add(event('e2', 'audit', 'logged', { email: 'bob@example.com' }));
  live.add({ kind: 'call', id: 'auth.c1', api: 'auth', name: 'createUser', state: 'ok', at: 1010, completedAt: 1030, latencyMs: 20, parameters: { username: 'ada@example.com' }, result: { created: true }, traceId: TRACE, parentSpanId: 'a'.repeat(16) });
  const redrives: { queue: string; ids?: readonly string[] }[] = [];
  const data: DashboardData = {
    busName: 'bus',
    endpointLabel: 'http://127.0.0.1:4566',
    capacity: 10,
    overview: async () => ({ ok: false, problem: { kind: 'unreachable', title: 'The AWS endpoint does not answer', detail: 'ECONNREFUSED' } }),
    feeds: () => ({ events: { state: 'running' }, calls: { state: 'unavailable', reason: 'no stream' } }),
    trafficStats: () => live.stats,
    traffic: (filter, limit) => live.snapshot(filter, limit),
    subscribe: (deliver) => live.subscribe(deliver),
    trace: (id) => (id === TRACE ? { traceId: TRACE, startedAt: 1000, durationMs: 30, steps: [] } : undefined),
    deadLetters: async (queue) => {
      if (queue !== DLQ) throw new UnknownDeadLetterQueueError(queue);
      return { queue: { kind: 'listener', name: 'audit-recordSignup', sourceQueueName: DLQ.slice(0, -4), deadLetterQueueName: DLQ }, approximateCount: 0, messages: [] };
    },
    redrive: async (queue, ids) => {
      if (queue !== DLQ) throw new UnknownDeadLetterQueueError(queue);
      redrives.push({ queue, ...(ids ? { ids } : {}) });
      return { queue: { kind: 'listener', name: 'x', sourceQueueName: 'x', deadLetterQueueName: DLQ }, method: 'receive-and-send', moved: 1, keptExpired: [], failures: [], nothingToDo: false } satisfies RedriveReport;
    },
  };
  return { data, redrives };
}

function app(data: DashboardData) {
  return createDashboardApp(data, { assets: async () => ({ js: 'console.log(1)', css: 'body{}' }), csrfToken: TOKEN });
}

const get = (a: ReturnType<typeof app>, path: string, headers: Record<string, string> = {}) => a.request(path, { headers: { host: HOST, ...headers } });

describe('dashboard app', () => {
  it('serves the page with its CSRF token, a strict content security policy and its bundled assets', async () => {
    const a = app(stub().data);
    const page = await get(a, '/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<meta name="lightbus-csrf" content="${TOKEN}">`);
    expect(html).toContain('<script src="/assets/dashboard.js">');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const js = await get(a, '/assets/dashboard.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toBe('console.log(1)');
  });

  it('answers only on loopback host names (no DNS rebinding)', async () => {
    const a = app(stub().data);
    expect((await get(a, '/api/status', { host: 'evil.example:4777' })).status).toBe(421);
    expect((await get(a, '/api/status', { host: 'localhost:4777' })).status).toBe(200);
  });

  it('reports an unreachable endpoint as a problem the page shows, and never sends credentials', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'VERY-SECRET-KEY';
    const a = app(stub().data);
    const overview = await (await get(a, '/api/overview')).json();
    expect(overview).toEqual({ ok: false, problem: expect.objectContaining({ kind: 'unreachable' }) });
    const status = await (await get(a, '/api/status')).text();
    expect(JSON.parse(status)).toMatchObject({ busName: 'bus', feeds: { calls: { state: 'unavailable' } }, traffic: { held: 3, capacity: 10 } });
    expect(status + JSON.stringify(overview)).not.toContain('VERY-SECRET-KEY');
  });

  it('filters traffic by API, event, procedure and parameter value', async () => {
    const a = app(stub().data);
    const ids = async (query: string) => ((await (await get(a, `/api/traffic?${query}`)).json()) as { items: TrafficItem[] }).items.map((i) => i.id);
    expect(await ids('')).toEqual(['e1', 'e2', 'auth.c1']);
    expect(await ids('api=customers')).toEqual(['e1']);
    expect(await ids('api=*u*')).toEqual(['e1', 'e2', 'auth.c1']);
    expect(await ids('event=logged')).toEqual(['e2']);
    expect(await ids('procedure=createUser')).toEqual(['auth.c1']);
    expect(await ids('param=username%3Dada%40example.com')).toEqual(['auth.c1']);
    expect(await ids('param=bob')).toEqual(['e2']);
    expect(await ids('kind=call')).toEqual(['auth.c1']);
    expect(await ids('limit=1')).toEqual(['auth.c1']);
  });

  it('shows a trace by id, and says when none was seen', async () => {
    const a = app(stub().data);
    expect(await (await get(a, `/api/traces/${TRACE}`)).json()).toMatchObject({ traceId: TRACE });
    const missing = await get(a, `/api/traces/${'0'.repeat(31)}1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.stringContaining('No traffic seen') });
  });

  it('lists a dead-letter queue of the bus and refuses others', async () => {
    const a = app(stub().data);
    expect(await (await get(a, `/api/dead-letters/${DLQ}`)).json()).toMatchObject({ queue: { deadLetterQueueName: DLQ }, messages: [] });
    const other = await get(a, '/api/dead-letters/someone-elses-queue-dlq');
    expect(other.status).toBe(404);
  });

  it('redrives only from the page: same origin, its CSRF token, and the queue named as confirmation', async () => {
    const { data, redrives } = stub();
    const a = app(data);
    const post = (headers: Record<string, string>, body: unknown, queue = DLQ) =>
      a.request(`/api/dead-letters/${queue}/redrive`, { method: 'POST', headers: { host: HOST, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect((await post({ origin: ORIGIN }, { confirm: DLQ })).status).toBe(403); // no token
    expect((await post({ origin: ORIGIN, [CSRF_HEADER]: 'guess' }, { confirm: DLQ })).status).toBe(403);
    expect((await post({ origin: ORIGIN, [CSRF_HEADER]: TOKEN }, {})).status).toBe(400); // not confirmed
    expect((await post({ origin: ORIGIN, [CSRF_HEADER]: TOKEN }, { confirm: 'other' })).status).toBe(400);
    // A form posted from another site: refused by the origin check before anything else.
    const cross = await a.request(`/api/dead-letters/${DLQ}/redrive`, {
      method: 'POST',
      headers: { host: HOST, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded', [CSRF_HEADER]: TOKEN },
      body: `confirm=${DLQ}`,
    });
    expect(cross.status).toBe(403);
    expect(redrives).toEqual([]);
    const done = await post({ origin: ORIGIN, [CSRF_HEADER]: TOKEN }, { confirm: DLQ, ids: ['m1'] });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ moved: 1 });
    expect(redrives).toEqual([{ queue: DLQ, ids: ['m1'] }]);
    expect((await post({ origin: ORIGIN, [CSRF_HEADER]: TOKEN }, { confirm: 'x-dlq' }, 'x-dlq')).status).toBe(404);
  });

  it('streams live traffic as server-sent events', async () => {
    const { data } = stub();
    const live = new LiveTraffic(10, 10);
    const a = app({ ...data, subscribe: (deliver) => live.subscribe(deliver) });
    const response = await get(a, '/api/traffic/stream');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    live.add(event('e9', 'customers', 'newCustomer', {}));
    while (!text.includes('"e9"')) text += decoder.decode((await reader.read()).value);
    expect(text).toContain('event: hello');
    expect(text).toMatch(/event: traffic\ndata: \{"items":\[\{"kind":"event","id":"e9"/);
    await reader.cancel();
    live.close();
  });
});
