/**
 * Worker state costs no AWS call per invocation on Lambda (issue #13): with it off (the default)
 * the worker handler makes no call beyond the records' own work; with it on, the first invocation
 * reports `workerStarted`, later ones make no call until a heartbeat interval has passed, and then
 * one heartbeat. Every SDK call is counted (and answered) by a middleware: no AWS endpoint.
 */
import type { SQSEvent } from 'aws-lambda';
import { createWorkerHandlerForBus } from '../../handlers';
import { lightbus, silentLogger, z, type BusClient } from '../../runtime';

const pingApi = lightbus.api('ping', { events: { pinged: lightbus.event({ parameters: { n: z.number().int() } }) } });

/** The one overload of `middlewareStack.add` used here, common to the three clients. */
interface InitializeStack {
  add(
    middleware: (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) => (args: { input: unknown }) => Promise<unknown>,
    options: { step: 'initialize'; name: string; priority?: 'high' },
  ): void;
}

interface Counted {
  readonly bus: BusClient;
  /** `<client>:<command>` of every SDK call made. */
  readonly calls: string[];
  readonly handled: number[];
}

/** A bus with one listener, whose SDK clients answer every command themselves and record it. */
function countedBus(): Counted {
  const bus = lightbus.create({
    busName: 'calls',
    serviceName: 'pinger',
    apis: [pingApi],
    logger: silentLogger,
    aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
    workerHeartbeatSeconds: 60,
  });
  const handled: number[] = [];
  bus.ping.pinged.listen((_event, { n }) => void handled.push(n), { listenerName: 'audit' });
  const calls: string[] = [];
  const { clients } = bus.transports;
  for (const [name, client] of [['sqs', clients.sqs], ['events', clients.eventBridge], ['dynamodb', clients.dynamoDb]] as const) {
    (client.middlewareStack as unknown as InitializeStack).add(
      (_next, context) => async () => {
        calls.push(`${name}:${context.commandName}`);
        const output = context.commandName === 'PutEventsCommand' ? { FailedEntryCount: 0, Entries: [{ EventId: 'e' }] } : {};
        return { output: { ...output, $metadata: {} }, response: {} };
      },
      { step: 'initialize', name: 'countCalls' },
    );
  }
  return { bus, calls, handled };
}

function listenerEvent(bus: BusClient, n: number): SQSEvent {
  const queueName = bus.topology().listeners[0]!.queueName;
  const detail = { v: 1, kind: 'lightbus.event', id: `ev-${n}`, api: 'ping', event: 'pinged', parameters: { n }, firedAt: new Date().toISOString() };
  return {
    Records: [
      {
        messageId: `m-${n}`,
        receiptHandle: `r-${n}`,
        body: JSON.stringify({ id: `eb-${n}`, source: 'lightbus.ping', 'detail-type': 'ping.pinged', detail }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

const previous = process.env.LIGHTBUS_WORKER_STATE;
afterEach(() => {
  jest.restoreAllMocks();
  if (previous === undefined) delete process.env.LIGHTBUS_WORKER_STATE;
  else process.env.LIGHTBUS_WORKER_STATE = previous;
});

describe('worker state on Lambda', () => {
  it('off (the default): invocations make no AWS call for it', async () => {
    delete process.env.LIGHTBUS_WORKER_STATE;
    const { bus, calls, handled } = countedBus();
    const handler = createWorkerHandlerForBus(bus);
    for (let n = 1; n <= 3; n++) expect(await handler(listenerEvent(bus, n))).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual([1, 2, 3]);
    expect(calls).toEqual([]);
  });

  it('LIGHTBUS_WORKER_STATE=false is off too', async () => {
    process.env.LIGHTBUS_WORKER_STATE = 'false';
    const { bus, calls } = countedBus();
    const handler = createWorkerHandlerForBus(bus);
    await handler(listenerEvent(bus, 1));
    expect(calls).toEqual([]);
  });

  it('on: started on the first invocation, nothing on the next ones, one heartbeat per interval', async () => {
    process.env.LIGHTBUS_WORKER_STATE = 'true';
    const { bus, calls, handled } = countedBus();
    let now = Date.parse('2026-12-01T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const handler = createWorkerHandlerForBus(bus);

    await handler(listenerEvent(bus, 1));
    expect([...calls].sort()).toEqual(['dynamodb:GetItemCommand', 'dynamodb:PutItemCommand', 'dynamodb:UpdateItemCommand', 'events:PutEventsCommand']);

    calls.length = 0;
    now += 59_000;
    await handler(listenerEvent(bus, 2));
    await handler(listenerEvent(bus, 3));
    expect(calls).toEqual([]);

    now += 1_000;
    await handler(listenerEvent(bus, 4));
    expect([...calls].sort()).toEqual(['dynamodb:PutItemCommand', 'dynamodb:UpdateItemCommand', 'events:PutEventsCommand']);
    calls.length = 0;
    await handler(listenerEvent(bus, 5));
    expect(calls).toEqual([]);
    expect(handled).toEqual([1, 2, 3, 4, 5]);
  });

  it('on: the report says runtime lambda and what the function serves', async () => {
    process.env.LIGHTBUS_WORKER_STATE = 'apis=;listeners=audit';
    const { bus } = countedBus();
    const items: Record<string, unknown>[] = [];
    (bus.transports.clients.dynamoDb.middlewareStack as unknown as InitializeStack).add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') items.push((args.input as { Item: Record<string, unknown> }).Item);
        return next(args);
      },
      { step: 'initialize', name: 'seeItems', priority: 'high' },
    );
    await createWorkerHandlerForBus(bus)(listenerEvent(bus, 1));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      pk: { S: expect.stringMatching(/^worker#pinger#[0-9a-f]{12}$/) },
      runtime: { S: 'lambda' },
      status: { S: 'running' },
      apis: { L: [] },
      listeners: { L: [{ M: { api: { S: 'ping' }, event: { S: 'pinged' }, listener: { S: 'audit' } } }] },
    });
  });
});
