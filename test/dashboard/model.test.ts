/** The dashboard's model: bounded buffers, call records from the stream, traces, problems. */
import { buildTrace, describeProblem, LiveTraffic, readCallRecord, RingBuffer, traceFields, type TrafficBatch, type TrafficItem } from '../../local/dashboard';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity and counts what fell out', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i += 1) ring.push(i);
    expect(ring.items()).toEqual([3, 4, 5]);
    expect({ total: ring.total, size: ring.size, evicted: ring.evicted }).toEqual({ total: 5, size: 3, evicted: 2 });
    expect(() => new RingBuffer(0)).toThrow('positive integer; got 0');
  });
});

describe('LiveTraffic', () => {
  const call = (id: string, state: 'claimed' | 'ok', extra: object = {}): TrafficItem => ({ kind: 'call', id, api: 'auth', name: 'createUser', state, at: 1, ...extra });

  it("replaces a call's claim with its outcome (one row per call), and never an outcome with a late claim", () => {
    const live = new LiveTraffic(5);
    live.add(call('c1', 'claimed', { parameters: { a: 1 } }));
    live.add(call('c1', 'ok', { result: 3, latencyMs: 7 }));
    live.add(call('c1', 'claimed'));
    expect(live.snapshot()).toEqual([expect.objectContaining({ id: 'c1', state: 'ok', result: 3, latencyMs: 7, parameters: { a: 1 } })]);
    expect(live.stats.received).toBe(1);
  });

  it('stays within its capacity under a flood, and a lagging subscriber is told what it missed', async () => {
    const live = new LiveTraffic(100, 5);
    const batches: TrafficBatch[] = [];
    const unsubscribe = live.subscribe((batch) => batches.push(batch));
    for (let i = 0; i < 10_000; i += 1) live.add(call(`c${i}`, 'claimed'));
    expect(live.stats).toEqual({ capacity: 100, held: 100, received: 10_000, evicted: 9_900 });
    expect(live.snapshot().map((i) => i.id)).toEqual(Array.from({ length: 100 }, (_, k) => `c${9_900 + k}`));
    await new Promise((r) => setTimeout(r, 30));
    unsubscribe();
    const delivered = batches.flatMap((b) => b.items).length;
    const dropped = batches.reduce((n, b) => n + b.dropped, 0);
    expect(delivered).toBe(100);
    expect(delivered + dropped).toBe(10_000);
  });
});

describe('trace context', () => {
  it('reads a W3C traceparent, and ignores an invalid one', () => {
    expect(traceFields({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, tracestate: 'k=v' })).toEqual({
      traceparent: `00-${TRACE}-00f067aa0ba902b7-01`,
      tracestate: 'k=v',
      traceId: TRACE,
      parentSpanId: '00f067aa0ba902b7',
    });
    expect(traceFields({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` })).toEqual({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });
    expect(traceFields({})).toEqual({});
  });

  it('builds the chain of one trace id, ordered by time, with offsets and durations', () => {
    const items: TrafficItem[] = [
      { kind: 'call', id: 'c', api: 'auth', name: 'createUser', state: 'ok', at: 1_050, latencyMs: 30, traceId: TRACE, parentSpanId: 'b'.repeat(16) },
      { kind: 'event', id: 'e', api: 'customers', name: 'newCustomer', parameters: {}, at: 1_000, observedAt: 1_010, routedTo: [], traceId: TRACE, parentSpanId: 'a'.repeat(16) },
      { kind: 'event', id: 'other', api: 'x', name: 'y', parameters: {}, at: 1_020, observedAt: 1_020, routedTo: [], traceId: 'f'.repeat(32) },
    ];
    const trace = buildTrace(TRACE.toUpperCase(), items)!;
    expect(trace.steps.map((s) => [s.item.id, s.offsetMs, s.durationMs, s.sentBySpan])).toEqual([
      ['e', 0, undefined, 'a'.repeat(16)],
      ['c', 50, 30, 'b'.repeat(16)],
    ]);
    expect(trace.durationMs).toBe(80);
    expect(trace.steps.every((s) => s.parentId === undefined)).toBe(true);
  });

  it("links a step to the call whose result item carries the span it was sent from", () => {
    const span = 'c'.repeat(16);
    const items: TrafficItem[] = [
      { kind: 'call', id: 'create', api: 'auth', name: 'createUser', state: 'ok', at: 1_000, latencyMs: 30, traceId: TRACE, parentSpanId: span },
      { kind: 'event', id: 'created', api: 'auth', name: 'userCreated', parameters: {}, at: 1_020, observedAt: 1_021, routedTo: [], traceId: TRACE, parentSpanId: span },
    ];
    expect(buildTrace(TRACE, items)!.steps.map((s) => [s.item.id, s.parentId])).toEqual([
      ['create', undefined],
      ['created', 'create'],
    ]);
    expect(buildTrace('1'.repeat(32), items)).toBeUndefined();
  });
});

describe('readCallRecord', () => {
  const record = (image: Record<string, { S: string } | { N: string }>, eventName = 'MODIFY') => ({ eventName, dynamodb: { NewImage: image } }) as never;

  it('turns a completed claim into a call with its request, result and latency', () => {
    const call = readCallRecord(
      record({
        pk: { S: 'customers.0b6f3f0e-1f7e-4a8e-9a57-7d4f1e9f1c11' },
        state: { S: 'ok' },
        api: { S: 'auth' },
        procedure: { S: 'createUser' },
        parameters: { S: '{"username":"ada"}' },
        result: { S: '{"created":true}' },
        claimedBy: { S: 'auth/worker-1' },
        claimedAt: { N: '1000' },
        completedAt: { N: '1042' },
        traceparent: { S: `00-${TRACE}-00f067aa0ba902b7-01` },
      }),
    );
    expect(call).toMatchObject({ kind: 'call', api: 'auth', name: 'createUser', state: 'ok', parameters: { username: 'ada' }, result: { created: true }, latencyMs: 42, traceId: TRACE, claimedBy: 'auth/worker-1' });
  });

  it('reads a remote error, and skips schema, owner and task items and deletions', () => {
    expect(readCallRecord(record({ pk: { S: 'anon.x1' }, state: { S: 'error' }, error: { S: '{"name":"ValidationError","message":"bad"}' }, completedAt: { N: '5' } }))).toMatchObject({
      state: 'error',
      error: { name: 'ValidationError', message: 'bad' },
      api: '?',
    });
    expect(readCallRecord(record({ pk: { S: 'schema#auth' }, state: { S: 'ok' } }))).toBeUndefined();
    expect(readCallRecord(record({ pk: { S: 'owner#auth' } }))).toBeUndefined();
    expect(readCallRecord(record({ pk: { S: 'anon.x1' }, state: { S: 'ok' } }, 'REMOVE'))).toBeUndefined();
  });
});

describe('describeProblem', () => {
  const where = { endpoint: 'http://127.0.0.1:1', busName: 'shop' };
  it('says what is wrong: endpoint, credentials, missing bus', () => {
    expect(describeProblem(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), where)).toMatchObject({ kind: 'unreachable', detail: expect.stringContaining('http://127.0.0.1:1') });
    expect(describeProblem(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), where)).toMatchObject({ kind: 'credentials' });
    expect(describeProblem(Object.assign(new Error('x'), { name: 'UnrecognizedClientException' }), where)).toMatchObject({ kind: 'credentials' });
    expect(describeProblem(Object.assign(new Error('Event bus shop does not exist'), { name: 'ResourceNotFoundException' }), where)).toMatchObject({ kind: 'no-bus', title: expect.stringContaining('"shop"') });
  });
});
