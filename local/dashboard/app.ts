import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { DeadLetterQueueNotFoundError } from '../dead-letters';
import type { UiBundle } from './asset';
import type { DashboardData } from './dashboard';
import { renderPage } from './page';
import { UnknownDeadLetterQueueError } from './sources/dead-letter-queues';
import type { TrafficFilter } from './traffic';

export interface DashboardAppOptions {
  /** The page's assets (asset.ts loadUiBundle). */
  readonly assets: () => Promise<UiBundle>;
  /** The token a POST must carry (in the page's meta tag). @default random per app */
  readonly csrfToken?: string;
  /** Host names (without port) the page may be reached by: anything else is refused (DNS rebinding). @default 127.0.0.1, localhost, [::1] */
  readonly allowedHostnames?: readonly string[];
}

/** The header that carries the CSRF token on a POST. */
export const CSRF_HEADER = 'x-lightbus-csrf';
const HOSTNAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The dashboard's HTTP app: the page, its assets, JSON endpoints and the live traffic as
 * server-sent events. Read-only except redrive, which must come from the page itself (same origin
 * and its CSRF token) and name the queue it confirms.
 */
export function createDashboardApp(data: DashboardData, options: DashboardAppOptions): Hono {
  const token = options.csrfToken ?? randomBytes(24).toString('base64url');
  const hostnames = new Set(options.allowedHostnames ?? HOSTNAMES);
  const app = new Hono();

  app.use('*', async (c, next) => {
    // A page on another site that resolves its own name to 127.0.0.1 would otherwise read this one.
    const host = c.req.header('host') ?? '';
    const hostname = host.replace(/:\d+$/, '');
    if (!hostnames.has(hostname)) return c.text(`Refused: the dashboard answers only on ${[...hostnames].join(', ')}.`, 421);
    await next();
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  app.use('/api/*', csrf({ origin: (origin, c) => origin === `http://${c.req.header('host')}` }));

  app.get('/', (c) => c.html(renderPage({ busName: data.busName, csrfToken: token })));
  app.get('/assets/dashboard.js', async (c) => {
    const { js } = await options.assets();
    return c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });
  app.get('/assets/dashboard.css', async (c) => {
    const { css } = await options.assets();
    return c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/api/status', (c) =>
    c.json({ busName: data.busName, endpoint: data.endpointLabel, capacity: data.capacity, feeds: data.feeds(), traffic: data.trafficStats() }),
  );
  app.get('/api/overview', async (c) => c.json(await data.overview()));
  app.get('/api/traffic', (c) => {
    const limit = Number(c.req.query('limit') ?? data.capacity);
    return c.json({ items: data.traffic(trafficFilter(c), Number.isInteger(limit) && limit > 0 ? limit : data.capacity), stats: data.trafficStats() });
  });
  app.get('/api/traffic/stream', (c) =>
    streamSSE(c, async (stream) => {
      let unsubscribe = () => {};
      const closed = new Promise<void>((resolve) => stream.onAbort(() => resolve()));
      let writing = Promise.resolve();
      unsubscribe = data.subscribe((batch) => {
        // In order, one write at a time: the subscriber's pending queue bounds what waits.
        writing = writing.then(() => stream.writeSSE({ event: 'traffic', data: JSON.stringify(batch) })).catch(() => undefined);
      });
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ stats: data.trafficStats() }) });
      await closed;
      unsubscribe();
    }),
  );
  app.get('/api/traces/:traceId', (c) => {
    const trace = data.trace(c.req.param('traceId'));
    return trace ? c.json(trace) : c.json({ error: `No traffic seen with trace id ${c.req.param('traceId').slice(0, 64)} (yet).` }, 404);
  });
  app.get('/api/dead-letters/:queue', async (c) => {
    try {
      return c.json(await data.deadLetters(c.req.param('queue')));
    } catch (error) {
      return deadLetterError(c, error);
    }
  });
  app.post('/api/dead-letters/:queue/redrive', async (c) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== `http://${c.req.header('host')}`) return c.json({ error: 'Refused: a redrive must come from the dashboard page.' }, 403);
    if (!sameToken(c.req.header(CSRF_HEADER), token)) return c.json({ error: 'Refused: a redrive must come from the dashboard page.' }, 403);
    const queue = c.req.param('queue');
    const body = (await c.req.json().catch(() => ({}))) as { confirm?: unknown; ids?: unknown };
    if (body.confirm !== queue) {
      return c.json({ error: `Refused: confirm the redrive by sending {"confirm": "${queue.slice(0, 100)}"}.` }, 400);
    }
    const ids = Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === 'string') : undefined;
    try {
      return c.json(await data.redrive(queue, ids));
    } catch (error) {
      return deadLetterError(c, error);
    }
  });
  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.json({ error: `${error.name}: ${error.message}` }, 500)));
  return app;
}

function trafficFilter(c: Context): TrafficFilter {
  const q = (name: string) => {
    const value = c.req.query(name);
    return value !== undefined && value !== '' ? value : undefined;
  };
  const kind = q('kind');
  const fields = { api: q('api'), event: q('event'), procedure: q('procedure'), param: q('param'), traceId: q('traceId') };
  return {
    ...(kind === 'event' || kind === 'call' ? { kind } : {}),
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
}

function deadLetterError(c: Context, error: unknown): Response {
  if (error instanceof UnknownDeadLetterQueueError || error instanceof DeadLetterQueueNotFoundError) return c.json({ error: error.message }, 404);
  throw error;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
