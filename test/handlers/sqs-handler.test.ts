/**
 * The Lambda SQS handler against the emulator, with real SQS-event shapes: messages are sent by
 * real bus clients, received from the emulator's queues and converted into Lambda's SQSEvent
 * (see ./sqs-event.ts), then settled the way an event source mapping settles a batch response.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsHandler, NotAnSqsEventError, toInboundMessage, type SqsBatchHandler } from '../../handlers';
import { provisionTopology } from '../../local/provision';
import { lightbus, silentLogger, z, type BusClient } from '../../runtime';
import type { DispatchOutcome } from '../../runtime/dispatch';
import { DeadLetterAttributes } from '../../runtime/messages';
import { testEnvironment, uniqueName } from '../support/aws';
import { queueRef, receiveSqsEvent, settleLikeEventSourceMapping, type QueueRef } from './sqs-event';

const env = testEnvironment();
const sqs = new SQSClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });

const ordersApi = lightbus.api('orders', {
  rpcs: {
    total: lightbus.rpc({ parameters: { items: z.array(z.number()) }, response: z.number() }),
    reject: lightbus.rpc({ parameters: {}, response: z.void() }),
  },
  events: {
    placed: lightbus.event({ parameters: { n: z.number().int(), fail: z.boolean() } }),
  },
});

function createOrdersBus() {
  return lightbus.create({ busName: uniqueName('hd'), serviceName: 'orders', apis: [ordersApi], logger: silentLogger });
}

interface Fixture {
  readonly bus: ReturnType<typeof createOrdersBus>;
  readonly handler: SqsBatchHandler;
  readonly outcomes: DispatchOutcome[];
  readonly handled: number[];
  readonly rpcQueue: QueueRef;
  readonly listenerQueue: QueueRef;
  readonly listenerDlq: QueueRef;
  readonly rpcDlq: QueueRef;
}

const buses: BusClient[] = [];

async function fixture(maxReceives: number): Promise<Fixture> {
  const handled: number[] = [];
  const bus = createOrdersBus();
  buses.push(bus);
  bus.register(ordersApi, {
    total: ({ items }) => items.reduce((a, b) => a + b, 0),
    reject: () => {
      throw new Error('rejected on purpose');
    },
  });
  bus.orders.placed.listen(
    (_event, { n, fail }) => {
      handled.push(n);
      if (fail) throw new Error(`listener failed on purpose for ${n}`);
    },
    { listenerName: 'audit', maxReceives, retryDelaySeconds: 1 },
  );
  const provisioned = await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
  const topology = bus.topology();
  const url = async (name: string) => queueRef(sqs, provisioned.queueUrls.get(name) ?? (await bus.transports.queues.locator.url(name)));
  const rpc = topology.rpcQueues[0]!;
  const listener = topology.listeners[0]!;
  const outcomes: DispatchOutcome[] = [];
  return {
    bus,
    handler: createSqsHandler(bus, { onOutcome: (_m, o) => outcomes.push(o) }),
    outcomes,
    handled,
    rpcQueue: await url(rpc.queueName),
    rpcDlq: await url(rpc.deadLetterQueueName),
    listenerQueue: await url(listener.queueName),
    listenerDlq: await url(listener.deadLetterQueueName),
  };
}

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  sqs.destroy();
});

describe('createSqsHandler', () => {
  it('serves RPCs from a received batch: the caller gets results and errors', async () => {
    const f = await fixture(3);
    const total = f.bus.orders.total({ items: [1, 2, 3.5] });
    const rejected = f.bus.orders.reject({}).then(
      () => 'resolved',
      (error: Error) => error.name,
    );
    const event = await receiveSqsEvent(sqs, f.rpcQueue, { min: 2 });
    expect(event.Records).toHaveLength(2);
    expect(event.Records[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: f.rpcQueue.arn });
    const response = await f.handler(event);
    await settleLikeEventSourceMapping(sqs, f.rpcQueue, event, response);
    expect(response).toEqual({ batchItemFailures: [] });
    await expect(total).resolves.toBe(6.5);
    await expect(rejected).resolves.toBe('RemoteError');
    expect(f.outcomes.map((o) => o.kind)).toEqual(['done', 'done']);
  });

  it('reports only the failing record of a batch, and only it comes back', async () => {
    const f = await fixture(3);
    for (const [n, fail] of [[1, false], [2, true], [3, false]] as const) await f.bus.orders.placed.fire({ n, fail });
    const first = await receiveSqsEvent(sqs, f.listenerQueue, { min: 3 });
    expect(first.Records).toHaveLength(3);
    const response = await f.handler(first);
    const failing = first.Records.find((r) => JSON.parse(r.body).detail.parameters.n === 2)!;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.messageId }]);
    await settleLikeEventSourceMapping(sqs, f.listenerQueue, first, response);

    // The dispatcher set the failed record's visibility to the retry delay (1 s): it alone returns.
    const second = await receiveSqsEvent(sqs, f.listenerQueue, { min: 1, timeoutMs: 15_000 });
    expect(second.Records.map((r) => r.messageId)).toEqual([failing.messageId]);
    expect(second.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(toInboundMessage(second.Records[0]!).receiveCount).toBe(2);
    expect(f.handled.sort()).toEqual([1, 2, 3]);
  });

  it('dead-letters a record on its last allowed receive, with the cause attached, and does not report it', async () => {
    const f = await fixture(1);
    await f.bus.orders.placed.fire({ n: 7, fail: true });
    const event = await receiveSqsEvent(sqs, f.listenerQueue, { min: 1 });
    const response = await f.handler(event);
    expect(response.batchItemFailures).toEqual([]);
    expect(f.outcomes[0]).toMatchObject({ kind: 'deadLettered', reason: 'retries-exhausted' });
    await settleLikeEventSourceMapping(sqs, f.listenerQueue, event, response);
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: f.listenerDlq.url, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }),
    );
    expect(dead.Messages).toHaveLength(1);
    expect(dead.Messages![0]!.MessageAttributes?.[DeadLetterAttributes.Reason]?.StringValue).toBe('retries-exhausted');
    expect(dead.Messages![0]!.Body).toBe(event.Records[0]!.body);
  });

  it('dead-letters a malformed RPC request instead of retrying it', async () => {
    const f = await fixture(3);
    await f.bus.transports.queues.send(f.bus.topology().rpcQueues[0]!.queueName, '{"not":"a lightbus call"');
    const event = await receiveSqsEvent(sqs, f.rpcQueue, { min: 1 });
    const response = await f.handler(event);
    expect(response.batchItemFailures).toEqual([]);
    expect(f.outcomes[0]).toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: f.rpcDlq.url, WaitTimeSeconds: 2 }));
    expect(dead.Messages).toHaveLength(1);
  });

  it('drops an RPC call received after its deadline, as the local worker does', async () => {
    const f = await fixture(3);
    const late = f.bus.orders.total({ items: [1] }, { timeoutMs: 300 }).catch((error: Error) => error.name);
    const event = await receiveSqsEvent(sqs, f.rpcQueue, { min: 1 });
    await expect(late).resolves.toBe('RpcTimeoutError');
    // Timers run on a monotonic clock and deadlines on Date.now(): step clear of the deadline's millisecond.
    await new Promise((r) => setTimeout(r, 5));
    const response = await f.handler(event);
    expect(response.batchItemFailures).toEqual([]);
    expect(f.outcomes[0]).toEqual({ kind: 'dropped', reason: 'expired' });
  });

  it('reports a record from a queue the bus module does not own for retry', async () => {
    const f = await fixture(3);
    await f.bus.orders.placed.fire({ n: 1, fail: false });
    const event = await receiveSqsEvent(sqs, f.listenerQueue, { min: 1 });
    const stranger = { ...event.Records[0]!, eventSourceARN: event.Records[0]!.eventSourceARN.replace(/:[^:]+$/, ':someone-elses-queue') };
    const response = await f.handler({ Records: [stranger] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: stranger.messageId }]);
  });

  it('rejects an event that is not an SQS event, saying what it got', async () => {
    const f = await fixture(3);
    await expect(f.handler({ detail: {} } as never)).rejects.toThrow(NotAnSqsEventError);
    await expect(f.handler({ detail: {} } as never)).rejects.toThrow(/got object with keys detail/);
  });
});
