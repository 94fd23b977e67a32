/**
 * Every client operation settles by its deadline whatever the endpoint does: here the endpoint is
 * a TCP server that accepts connections and never answers (the AWS SDK's requests hang), so only
 * lightbus's deadlines can end them. The bounds asserted are correctness bounds with a generous
 * margin (the endpoint would otherwise hang for ever), not speed assertions.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { EventFireError, lightbus, LightbusError, RpcTimeoutError, silentLogger, UndeliveredEventsError, type BusClient } from '../../runtime';
import { mathApi } from '../support/apis';

/** Well above the deadlines below, well below the test timeout: a hang fails the test, a slow machine does not. */
const MARGIN_MS = 3_000;
const DEADLINE_MS = 700;

interface HungEndpoint {
  readonly endpoint: string;
  /** Every connection accepted so far. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

function hungEndpoint(): Promise<HungEndpoint> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    // Reads (and ignores) the request, so that the client closing the connection is seen here.
    socket.resume();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        sockets,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Settles `operation` and says how long it took (reported by the test run, never asserted as speed). */
async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [outcome] = await Promise.allSettled([operation()]);
  return { ms: Date.now() - started, outcome: outcome as PromiseSettledResult<T> };
}

function rejection(outcome: PromiseSettledResult<unknown>): unknown {
  if (outcome.status === 'fulfilled') throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return outcome.reason;
}

const measured: Record<string, number> = {};

describe('client deadlines against an endpoint that never answers', () => {
  let hung: HungEndpoint;
  let bus: BusClient | undefined;

  beforeEach(async () => {
    hung = await hungEndpoint();
  });
  afterEach(async () => {
    await bus?.close().catch(() => undefined);
    bus = undefined;
    await hung.close();
  });
  afterAll(() => {
    // The settle times, for the record (docs and reports quote them); not asserted.
    process.stdout.write(`client-deadlines settle times (ms): ${JSON.stringify(measured)}\n`);
  });

  function create(options: { readonly delivery?: 'confirmed' | 'buffered'; readonly eventFireTimeoutMs?: number } = {}): BusClient {
    bus = lightbus.create({
      busName: 'deadlines-unit',
      serviceName: 'math',
      apis: [mathApi],
      logger: silentLogger,
      aws: { endpoint: hung.endpoint, region: 'us-east-1' },
      apiSettings: { math: { rpcTimeoutMs: 60_000, eventFireTimeoutMs: options.eventFireTimeoutMs ?? DEADLINE_MS } },
      fire: { delivery: options.delivery ?? 'confirmed' },
    }) as unknown as BusClient;
    bus.registerApi(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
    return bus;
  }

  it('a call rejects with RpcTimeoutError (stage sending) at its timeoutMs', async () => {
    const client = create();
    const { ms, outcome } = await timed(() => client.call('math.add', { a: 1, b: 2 }, { timeoutMs: DEADLINE_MS }));
    measured.call = ms;
    const error = rejection(outcome);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as RpcTimeoutError).stage).toBe('sending');
    expect((error as RpcTimeoutError).message).toMatch(/could not be sent within 700 ms/);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    // The request did reach the endpoint: it was the endpoint that hung.
    expect(hung.sockets.length).toBeGreaterThan(0);
  });

  it("a call's own signal still ends it first, with the signal's reason", async () => {
    const client = create();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 100);
    const { outcome } = await timed(() => client.call('math.add', { a: 1, b: 2 }, { timeoutMs: 30_000, signal: controller.signal }));
    expect(rejection(outcome)).toEqual(new Error('caller gave up'));
  });

  it('a confirmed fire rejects with EventFireError carrying the event id at its eventFireTimeout', async () => {
    const client = create();
    const { ms, outcome } = await timed(() => client.fire('math.happened', { n: 1 }));
    measured.confirmedFire = ms;
    const error = rejection(outcome) as EventFireError;
    expect(error).toBeInstanceOf(EventFireError);
    expect(error.context.errorCode).toBe('Timeout');
    expect(error.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(error.context.eventId).toBe(error.eventId);
    expect(error.message).toContain(`(event ${error.eventId})`);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);

    // Fired again with that id: the same event (same detail.id) goes out, and its error says so.
    const again = await timed(() => client.fire('math.happened', { n: 1 }, { eventId: error.eventId as string }));
    expect((rejection(again.outcome) as EventFireError).eventId).toBe(error.eventId);
  });

  it('flush() with buffered events pending rejects with UndeliveredEventsError by the fire timeout', async () => {
    const client = create({ delivery: 'buffered' });
    const sent = await client.fire('math.happened', { n: 2 });
    const { ms, outcome } = await timed(() => client.flush());
    measured.flush = ms;
    const error = rejection(outcome) as UndeliveredEventsError;
    expect(error).toBeInstanceOf(UndeliveredEventsError);
    expect(error.events.map((e) => [e.id, e.errorCode])).toEqual([[sent.id, 'Timeout']]);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
  });

  it('close() with buffered events pending rejects by the fire timeout and frees every socket', async () => {
    const client = create({ delivery: 'buffered' });
    const sent = await client.fire('math.happened', { n: 3 });
    // A call in flight too: close() ends it rather than leaving it to its (long) timeout.
    const call = timed(() => client.call('math.add', { a: 1, b: 2 }));
    const { ms, outcome } = await timed(() => client.close());
    measured.closeWithBufferedEvents = ms;
    const error = rejection(outcome) as UndeliveredEventsError;
    expect(error).toBeInstanceOf(UndeliveredEventsError);
    expect(error.events.map((e) => e.id)).toEqual([sent.id]);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);

    const callError = rejection((await call).outcome) as LightbusError;
    expect(callError).toBeInstanceOf(LightbusError);
    expect(callError.code).toBe('CLIENT_CLOSED');

    // Nothing is left connected to the hung endpoint (a socket left open would keep the process alive).
    expect(hung.sockets.length).toBeGreaterThan(0);
    const started = Date.now();
    while (hung.sockets.some((s) => !s.closed) && Date.now() - started < MARGIN_MS) await new Promise((r) => setTimeout(r, 20));
    measured.socketsClosedAfterClose = Date.now() - started;
    expect(hung.sockets.filter((s) => !s.closed)).toHaveLength(0);
  });

  it('close() with a confirmed fire in flight rejects that fire instead of retrying it on a new socket', async () => {
    // A fire timeout long enough that only close() can end the fire within the margin.
    const client = create({ eventFireTimeoutMs: 60_000 });
    const fire = timed(() => client.fire('math.happened', { n: 4 }));
    await new Promise((r) => setTimeout(r, 100));
    await client.close();
    const { ms, outcome } = await fire;
    measured.confirmedFireEndedByClose = ms;
    const error = rejection(outcome) as EventFireError;
    expect(error).toBeInstanceOf(EventFireError);
    expect(error.eventId).toBeDefined();
    expect(ms).toBeLessThan(MARGIN_MS);
  });
});
