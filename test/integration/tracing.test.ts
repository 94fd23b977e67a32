/**
 * Trace context end to end, against the emulator: a caller → RPC → event → listener → RPC chain is
 * ONE trace in an in-memory OpenTelemetry exporter, each span the child of the one before — on the
 * local worker (LightbusWorker in process) and through the Lambda handler (createSqsHandler
 * invoked with SQS records received from the emulator's queues). Also: the result item names the
 * execution span, the worker's log lines carry the trace id, a malformed traceparent on the wire
 * is dropped (a new trace, the call still runs), and a message without one continues the X-Ray
 * trace of its SQS `AWSTraceHeader` (which the emulator passes through: pinned here).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createSqsHandler } from '../../handlers';
import { LightbusWorker } from '../../local';
import { provisionTopology } from '../../local/provision';
import { createLogger, lightbus, silentLogger, z } from '../../runtime';
import { parseTraceparent } from '../../runtime/tracing';
import { queueRef, receiveSqsEvent, settleLikeEventSourceMapping, type QueueRef } from '../handlers/sqs-event';
import { testEnvironment, uniqueName } from '../support/aws';
import { installInMemoryTracing, parentIdOf, until, type InMemoryTracing } from '../support/otel';

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const sqs = new SQSClient(clientConfig);
const dynamo = new DynamoDBClient(clientConfig);

const chainApi = lightbus.api('tchain', {
  rpcs: {
    start: lightbus.rpc({ parameters: { n: z.number() }, response: z.number() }),
    finish: lightbus.rpc({ parameters: { n: z.number() }, response: z.number() }),
  },
  events: { started: lightbus.event({ parameters: { n: z.number() } }) },
});

/** The worker's side of the chain: start fires started, whose listener calls finish. */
function createChainBus(busName: string, logger: ReturnType<typeof createLogger>) {
  return lightbus.create({ busName, serviceName: 'tchainsvc', apis: [chainApi], logger });
}

interface ChainServer {
  readonly bus: ReturnType<typeof createChainBus>;
  readonly lines: Record<string, unknown>[];
  readonly startCallIds: string[];
  readonly finished: number[];
}

function chainServer(busName: string): ChainServer {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const bus = createChainBus(busName, logger);
  const server: ChainServer = { bus, lines, startCallIds: [], finished: [] };
  bus.register(chainApi, {
    start: async ({ n }, context) => {
      server.startCallIds.push(context.callId);
      bus.logger.info('start ran', { n });
      await bus.tchain.started.fire({ n });
      return n;
    },
    finish: ({ n }) => {
      bus.logger.info('finish ran', { n });
      return n * 2;
    },
  });
  bus.tchain.started.listen(
    async (_event, { n }) => {
      bus.logger.info('listener ran', { n });
      server.finished.push(await bus.tchain.finish({ n }, { timeoutMs: 20_000 }));
    },
    { listenerName: 'onStarted' },
  );
  return server;
}

function callerClient(busName: string) {
  return lightbus.create({ busName, serviceName: 'tchaincaller', apis: [chainApi], logger: silentLogger });
}

/** Runs the chain's first call under a root span of the test, and waits until the listener's call returned. */
async function runChain(caller: ReturnType<typeof callerClient>, server: ChainServer, n: number): Promise<string> {
  const tracer = trace.getTracer('test');
  const traceId = await tracer.startActiveSpan('test root', async (root) => {
    await expect(caller.tchain.start({ n }, { timeoutMs: 20_000 })).resolves.toBe(n);
    root.end();
    return root.spanContext().traceId;
  });
  await until('the listener to call finish', () => server.finished.includes(n * 2));
  return traceId;
}

/** Asserts the chain's spans: one trace, each the child of the one before, with the expected kinds. */
function expectOneChainedTrace(tracing: InMemoryTracing, traceId: string): Record<string, ReadableSpan> {
  const spans = tracing.spans().filter((s) => s.spanContext().traceId === traceId);
  const find = (name: string, kind: SpanKind) => {
    const matching = spans.filter((s) => s.name === name && s.kind === kind);
    expect(matching).toHaveLength(1);
    return matching[0] as ReadableSpan;
  };
  const chain = {
    root: find('test root', SpanKind.INTERNAL),
    callStart: find('tchain/start', SpanKind.CLIENT),
    runStart: find('tchain/start', SpanKind.SERVER),
    fire: find('send tchain.started', SpanKind.PRODUCER),
    listen: find('process tchain.started', SpanKind.CONSUMER),
    callFinish: find('tchain/finish', SpanKind.CLIENT),
    runFinish: find('tchain/finish', SpanKind.SERVER),
  };
  const order = [chain.root, chain.callStart, chain.runStart, chain.fire, chain.listen, chain.callFinish, chain.runFinish];
  order.slice(1).forEach((span, index) => {
    expect({ span: `${span.name} (${span.kind})`, parent: parentIdOf(span) }).toEqual({
      span: `${span.name} (${span.kind})`,
      parent: (order[index] as ReadableSpan).spanContext().spanId,
    });
  });
  expect(spans).toHaveLength(order.length);
  expect(chain.runStart.attributes).toMatchObject({ 'rpc.system': 'lightbus', 'rpc.service': 'tchain', 'rpc.method': 'start' });
  expect(chain.fire.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.destination.name': 'tchain.started' });
  expect(chain.listen.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.consumer.group.name': 'onStarted' });
  return chain;
}

async function resultItem(busName: string, callId: string) {
  const out = await dynamo.send(new GetItemCommand({ TableName: `${busName}-results`, Key: { pk: { S: callId } }, ConsistentRead: true }));
  return out.Item;
}

function rawRequest(busName: string, callId: string, extra: Record<string, unknown>): string {
  return JSON.stringify({
    v: 1,
    kind: 'lightbus.rpc',
    id: callId,
    api: 'tchain',
    procedure: 'finish',
    parameters: { n: 5 },
    deadline: Date.now() + 30_000,
    returnPath: { table: `${busName}-results` },
    ...extra,
  });
}

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = installInMemoryTracing();
});
afterAll(async () => {
  await tracing.uninstall();
  sqs.destroy();
  dynamo.destroy();
});

describe('trace context on the local worker', () => {
  const busName = uniqueName('trl');
  const server = chainServer(busName);
  const caller = callerClient(busName);
  const worker = new LightbusWorker(server.bus, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });
  let requestQueueUrl = '';

  beforeAll(async () => {
    await worker.start();
    requestQueueUrl = await server.bus.transports.queues.locator.url(server.bus.topology().rpcQueues[0]!.queueName);
  });
  afterAll(async () => {
    await worker.stop();
    await caller.close();
    await server.bus.close();
  });

  it('caller → RPC → event → listener → RPC is one trace, each span the child of the one before', async () => {
    const traceId = await runChain(caller, server, 1);
    const chain = expectOneChainedTrace(tracing, traceId);

    // The results item of the first call names its execution span.
    const item = await resultItem(busName, server.startCallIds[0] as string);
    expect(item?.traceparent?.S).toBe(`00-${traceId}-${chain.runStart.spanContext().spanId}-01`);

    // The worker's log lines about the work carry its trace id.
    for (const message of ['start ran', 'listener ran', 'finish ran']) {
      expect(server.lines.find((l) => l.message === message)).toMatchObject({ traceId });
    }
  });

  it('a malformed traceparent on the wire is dropped: the call runs, in a new trace', async () => {
    const callId = `tchain.${randomUUID()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: requestQueueUrl, MessageBody: rawRequest(busName, callId, { traceparent: '00-not-a-trace-01', tracestate: 'a=b' }) }));
    await until('the malformed-trace call to be answered', () => tracing.spans().some((s) => s.attributes['lightbus.call.id'] === callId));
    const span = tracing.spans().find((s) => s.attributes['lightbus.call.id'] === callId) as ReadableSpan;
    expect(parentIdOf(span)).toBeUndefined();
    const item = await resultItem(busName, callId);
    expect(item).toMatchObject({ state: { S: 'ok' }, result: { S: '10' } });
    expect(parseTraceparent(item?.traceparent?.S)?.traceId).toBe(span.spanContext().traceId);
    expect(item?.tracestate).toBeUndefined();
  });

  it('a message without a traceparent continues the X-Ray trace of its AWSTraceHeader', async () => {
    const callId = `tchain.${randomUUID()}`;
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: requestQueueUrl,
        MessageBody: rawRequest(busName, callId, {}),
        MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: header } },
      }),
    );
    await until('the X-Ray call to run', () => tracing.spans().some((s) => s.attributes['lightbus.call.id'] === callId));
    const span = tracing.spans().find((s) => s.attributes['lightbus.call.id'] === callId) as ReadableSpan;
    expect(span.spanContext().traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(parentIdOf(span)).toBe('53995c3f42cd8ad8');
  });
});

describe('trace context through the Lambda handler', () => {
  const busName = uniqueName('trh');
  const server = chainServer(busName);
  const caller = callerClient(busName);
  const handler = createSqsHandler(server.bus);
  let pumping = true;
  const pumps: Promise<void>[] = [];

  /** Stands in for an event source mapping: receive a batch, invoke the handler, settle. */
  async function pump(queue: QueueRef): Promise<void> {
    while (pumping) {
      const event = await receiveSqsEvent(sqs, queue, { min: 1, timeoutMs: 1_000 });
      if (event.Records.length > 0) await settleLikeEventSourceMapping(sqs, queue, event, await handler(event));
    }
  }

  beforeAll(async () => {
    const provisioned = await provisionTopology(server.bus.topology(), server.bus.transports.clients, silentLogger);
    const topology = server.bus.topology();
    const rpcQueue = await queueRef(sqs, provisioned.queueUrls.get(topology.rpcQueues[0]!.queueName)!);
    const listenerQueue = await queueRef(sqs, provisioned.queueUrls.get(topology.listeners[0]!.queueName)!);
    pumps.push(pump(rpcQueue), pump(listenerQueue));
  });
  afterAll(async () => {
    pumping = false;
    await Promise.all(pumps);
    await caller.close();
    await server.bus.close();
  });

  it('caller → RPC → event → listener → RPC is one trace, each span the child of the one before', async () => {
    const traceId = await runChain(caller, server, 3);
    const chain = expectOneChainedTrace(tracing, traceId);
    const item = await resultItem(busName, server.startCallIds[0] as string);
    expect(item?.traceparent?.S).toBe(`00-${traceId}-${chain.runStart.spanContext().spanId}-01`);
    for (const message of ['start ran', 'listener ran', 'finish ran']) {
      expect(server.lines.find((l) => l.message === message)).toMatchObject({ traceId });
    }
  });
});

describe('trace context off (traceContext: false)', () => {
  const busName = uniqueName('troff');
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const server = lightbus.create({ busName, serviceName: 'tchainsvc', apis: [chainApi], logger, traceContext: false });
  const caller = lightbus.create({ busName, serviceName: 'tchaincaller', apis: [chainApi], logger: silentLogger, traceContext: false });
  const callIds: string[] = [];
  server.register(chainApi, {
    start: ({ n }) => n,
    finish: ({ n }, context) => {
      callIds.push(context.callId);
      server.logger.info('finish ran', { n });
      return n * 2;
    },
  });
  const worker = new LightbusWorker(server, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });
  let requestQueueUrl = '';

  beforeAll(async () => {
    await worker.start();
    requestQueueUrl = await server.transports.queues.locator.url(server.topology().rpcQueues[0]!.queueName);
  });
  afterAll(async () => {
    await worker.stop();
    await caller.close();
    await server.close();
  });

  it('a call between two processes with it off carries no trace: no spans, no traceparent on the result, no traceId in logs', async () => {
    await trace.getTracer('test').startActiveSpan('test root', async (root) => {
      await expect(caller.tchain.finish({ n: 4 }, { timeoutMs: 20_000 })).resolves.toBe(8);
      root.end();
    });
    const callId = callIds[0] as string;
    expect(tracing.spans().filter((s) => s.attributes['lightbus.call.id'] === callId)).toEqual([]);
    const item = await resultItem(busName, callId);
    expect(item).toMatchObject({ state: { S: 'ok' } });
    expect(item?.traceparent).toBeUndefined();
    expect(lines.find((l) => l.message === 'finish ran')?.traceId).toBeUndefined();
  });

  it('a worker with it off ignores a traceparent it receives: the call runs, and the trace ends there', async () => {
    const callId = `tchain.${randomUUID()}`;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await sqs.send(new SendMessageCommand({ QueueUrl: requestQueueUrl, MessageBody: rawRequest(busName, callId, { traceparent }) }));
    let item = await resultItem(busName, callId);
    for (let tries = 0; item?.state?.S !== 'ok' && tries < 200; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      item = await resultItem(busName, callId);
    }
    expect(item).toMatchObject({ result: { S: '10' } });
    expect(item?.traceparent).toBeUndefined();
    expect(tracing.spans().some((s) => s.spanContext().traceId === '4bf92f3577b34da6a3ce929d0e0e4736')).toBe(false);
  });
});
