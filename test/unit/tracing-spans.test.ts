/**
 * runtime/tracing's spans with and without OpenTelemetry: an outgoing span continues the active
 * trace, an incoming one continues the received parent (or the X-Ray header), errors are
 * recorded, log lines carry the trace id; and with `@opentelemetry/api` absent (the optional
 * peer not installed) the same trace context still travels, with lightbus's own ids.
 */
import { SpanKind as OtelSpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createLogger } from '../../runtime/logging';
import {
  currentTraceId,
  openTelemetry,
  parseTraceparent,
  runIncoming,
  runInTraceScope,
  startCallSpan,
  startExecutionSpan,
  startFireSpan,
  startListenerSpan,
  useOpenTelemetry,
} from '../../runtime/tracing';
import { installInMemoryTracing, parentIdOf, type InMemoryTracing } from '../support/otel';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const XRAY = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

function logLines(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe('with OpenTelemetry and a registered tracer provider', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = installInMemoryTracing();
  });
  afterEach(async () => {
    await tracing.uninstall();
    useOpenTelemetry('auto');
  });

  it('an execution span continues the caller; the calls and fires inside it are its children', async () => {
    const { lines, logger } = logLines();
    const server = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1', traceparent: CALLER }, 'bus-rpc-math', undefined);
    let inner: { call: string; fire: string } | undefined;
    await runIncoming(
      server,
      async () => {
        logger.info('working');
        const call = startCallSpan('other', 'op', 'c2', 'bus-rpc-other');
        await call.settle(async () => undefined);
        const fire = startFireSpan('math', 'added', 'e1');
        await fire.settle(async () => undefined);
        inner = { call: call.traceparent!, fire: fire.traceparent! };
        return 'done';
      },
      () => undefined,
    );
    const spans = tracing.spans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const serverSpan = byName.get('math/add')!;
    expect(serverSpan.kind).toBe(OtelSpanKind.SERVER);
    expect(serverSpan.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parentIdOf(serverSpan)).toBe('00f067aa0ba902b7');
    expect(serverSpan.attributes).toMatchObject({ 'rpc.system': 'lightbus', 'rpc.service': 'math', 'rpc.method': 'add', 'lightbus.call.id': 'c1' });
    const callSpan = byName.get('other/op')!;
    expect(callSpan.kind).toBe(OtelSpanKind.CLIENT);
    expect(parentIdOf(callSpan)).toBe(serverSpan.spanContext().spanId);
    const fireSpan = byName.get('send math.added')!;
    expect(fireSpan.kind).toBe(OtelSpanKind.PRODUCER);
    expect(fireSpan.attributes).toMatchObject({ 'messaging.system': 'lightbus', 'messaging.destination.name': 'math.added', 'messaging.operation.type': 'send' });
    expect(parentIdOf(fireSpan)).toBe(serverSpan.spanContext().spanId);
    // What went on the wire names those spans.
    expect(parseTraceparent(inner!.call)?.spanId).toBe(callSpan.spanContext().spanId);
    expect(parseTraceparent(inner!.fire)?.spanId).toBe(fireSpan.spanContext().spanId);
    expect(lines).toEqual([expect.objectContaining({ message: 'working', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })]);
  });

  it('a listener span continues the X-Ray header when the event has no traceparent, and records a failure', async () => {
    const span = startListenerSpan({ api: 'math', event: 'added', id: 'e1' }, 'audit', 2, XRAY);
    await expect(runIncoming(span, async () => Promise.reject(new Error('listener broke')), () => undefined)).rejects.toThrow('listener broke');
    const [consumer] = tracing.spans();
    expect(consumer?.kind).toBe(OtelSpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(parentIdOf(consumer!)).toBe('53995c3f42cd8ad8');
    expect(consumer?.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.consumer.group.name': 'audit', 'messaging.destination.name': 'math.added' });
    expect(consumer?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'listener broke' });
    expect(consumer?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a failure found in the outcome is recorded too; an incoming span without any parent starts a new trace', async () => {
    const span = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1' }, 'q', undefined);
    await runIncoming(span, async () => ({ kind: 'retry' }), () => new Error('outcome failed'));
    const [server] = tracing.spans();
    expect(parentIdOf(server!)).toBeUndefined();
    expect(server?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('work that finishes without a promise ends its span at once, with a failure found in its value, and gives the value back as it is', () => {
    const span = startListenerSpan({ api: 'math', event: 'added', id: 'e1' }, 'audit', 1, undefined);
    const value = runIncoming(span, () => ({ kind: 'retry' }), () => new Error('outcome failed'));
    expect(value).toEqual({ kind: 'retry' });
    const [consumer] = tracing.spans();
    expect(consumer?.ended).toBe(true);
    expect(consumer?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'outcome failed' });
  });

  it('work that throws before returning records the error, ends its span, and throws it on', () => {
    const span = startListenerSpan({ api: 'math', event: 'added', id: 'e1' }, 'audit', 1, undefined);
    expect(() =>
      runIncoming(
        span,
        () => {
          throw new Error('thrown at once');
        },
        () => undefined,
      ),
    ).toThrow('thrown at once');
    const [consumer] = tracing.spans();
    expect(consumer?.ended).toBe(true);
    expect(consumer?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'thrown at once' });
  });

  it('an outgoing span outside any work is the root of a new trace', async () => {
    const call = startCallSpan('math', 'add', 'c1', 'q');
    await expect(call.settle(async () => Promise.reject(new Error('timeout')))).rejects.toThrow('timeout');
    const [client] = tracing.spans();
    expect(parentIdOf(client!)).toBeUndefined();
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.traceparent).toBe(`00-${client?.spanContext().traceId}-${client?.spanContext().spanId}-01`);
  });
});

describe('with @opentelemetry/api installed but no tracer provider (its no-op default)', () => {
  afterEach(() => useOpenTelemetry('auto'));

  it('still makes ids, and the work inside continues them', async () => {
    trace.disable();
    useOpenTelemetry('auto');
    expect(openTelemetry()).toBeDefined();
    const server = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1' }, 'q', undefined);
    expect(server.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    let inner = '';
    await runIncoming(server, async () => {
      inner = startCallSpan('x', 'y', 'c2', 'q').traceparent!;
    }, () => undefined);
    expect(parseTraceparent(inner)?.traceId).toBe(server.context!.traceId);
    // The no-op tracer would hand back the caller's own span id: each hop gets one of its own.
    const continued = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1', traceparent: CALLER }, 'q', undefined);
    expect(continued.context!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(continued.context!.spanId).not.toBe('00f067aa0ba902b7');
  });
});

describe('without @opentelemetry/api', () => {
  beforeEach(() => useOpenTelemetry(false));
  afterAll(() => useOpenTelemetry('auto'));

  it('an execution span continues the caller with a span id of its own; calls inside are its children; logs carry the trace id', async () => {
    expect(openTelemetry()).toBeUndefined();
    const { lines, logger } = logLines();
    const server = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1', traceparent: CALLER, tracestate: 'v=1' }, 'q', undefined);
    expect(server.context).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceFlags: 1, traceState: 'v=1' });
    expect(server.context!.spanId).not.toBe('00f067aa0ba902b7');
    let inner = '';
    await runIncoming(server, async () => {
      logger.warn('inside');
      inner = startCallSpan('x', 'y', 'c2', 'q').traceparent!;
    }, () => undefined);
    logger.info('outside');
    const parsed = parseTraceparent(inner);
    expect(parsed?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parsed?.spanId).not.toBe(server.context!.spanId);
    expect(lines[0]).toMatchObject({ message: 'inside', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it('falls back to the X-Ray header, else starts a new sampled trace', () => {
    expect(startListenerSpan({ api: 'a', event: 'b', id: 'e' }, 'l', 1, XRAY).context!.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    const fresh = startFireSpan('a', 'b', 'e');
    expect(fresh.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('a dispatcher scope opened before the trace is known is filled in, so earlier and later lines of the work carry it', async () => {
    const { lines, logger } = logLines();
    await runInTraceScope(async () => {
      const span = startExecutionSpan({ api: 'math', procedure: 'add', id: 'c1', traceparent: CALLER }, 'q', undefined);
      await runIncoming(span, async () => undefined, () => undefined);
      logger.error('after the span, still the same message');
      expect(currentTraceId()).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    });
    expect(lines[0]).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(currentTraceId()).toBeUndefined();
  });
});

describe('the guarded require of the optional peer', () => {
  it('treats a missing @opentelemetry/api as absent, and caches the answer', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../runtime/tracing') as typeof import('../../runtime/tracing');
      expect(isolated.openTelemetry()).toBeUndefined();
      expect(isolated.openTelemetry()).toBeUndefined();
      const span = isolated.startCallSpan('math', 'add', 'c1', 'q');
      expect(span.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      span.fail(new Error('recorded nowhere, and no throw'));
      span.end();
      jest.dontMock('@opentelemetry/api');
    });
  });
});

describe('every message in a scope of its own', () => {
  beforeEach(() => useOpenTelemetry(false));
  afterAll(() => useOpenTelemetry('auto'));

  it('concurrent messages keep their own traces, from the very first call the process makes', async () => {
    // Two messages in flight at once, as in a Lambda batch: the first calls the process ever makes
    // continue each message's trace (an earlier lazy scheme had to guess here, and started a new one).
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    const traces: string[] = [];
    await Promise.all(
      [CALLER, other].map((traceparent) =>
        runInTraceScope(() =>
          runIncoming(startListenerSpan({ api: 'a', event: 'b', id: 'e', traceparent }, 'l', 1, undefined), async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            traces.push(`${traceparent.slice(3, 35)}=${parseTraceparent(startFireSpan('a', 'b', 'e').traceparent)?.traceId}`);
          }, () => undefined),
        ),
      ),
    );
    expect(traces.sort()).toEqual(['11111111111111111111111111111111=11111111111111111111111111111111', '4bf92f3577b34da6a3ce929d0e0e4736=4bf92f3577b34da6a3ce929d0e0e4736']);
  });

  it('work outside any message has no trace of a message', async () => {
    let outside = '';
    const running = runInTraceScope(() =>
      runIncoming(startListenerSpan({ api: 'a', event: 'b', id: 'e', traceparent: CALLER }, 'l', 1, undefined), async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }, () => undefined),
    );
    outside = parseTraceparent(startFireSpan('a', 'b', 'e').traceparent)?.traceId ?? '';
    await running;
    expect(outside).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
