import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, RpcTimeoutError, z, type DispatchOutcome } from '../../runtime';
import { LightbusWorker, provisionTopology } from '../../local';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

const blobApi = lightbus.api('blob', {
  rpcs: {
    big: lightbus.rpc({ parameters: { kb: z.number().int() }, response: z.string() }),
    dropTable: lightbus.rpc({ response: z.string() }),
  },
});

describe('the worker when things go wrong', () => {
  it('returns a result too large for the results table through the payload bucket, not as an error or a timeout (#12)', async () => {
    const bus = track(lightbus.create(testBusOptions({ serviceName: 'blob', apis: [blobApi] })));
    bus.register(blobApi, { big: ({ kb }) => 'x'.repeat(kb * 1024), dropTable: () => 'unused' });
    await startWorker(bus);
    const caller = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, apis: [blobApi] })));
    await expect(caller.blob.big({ kb: 2 })).resolves.toHaveLength(2048);
    // Until #12 this was a RemoteError (MessageTooLargeError, limit 389120 bytes).
    await expect(caller.blob.big({ kb: 400 })).resolves.toBe('x'.repeat(400 * 1024));
  });

  it('dead-letters a call whose result cannot be written by its deadline, with the cause', async () => {
    const bus = track(lightbus.create(testBusOptions({ serviceName: 'blob', apis: [blobApi] })));
    bus.register(blobApi, {
      big: () => '',
      // Makes the result write fail: the results table is gone by the time the worker writes.
      dropTable: async () => {
        await bus.transports.clients.dynamoDb.send(new DeleteTableCommand({ TableName: bus.transports.location.resultsTable }));
        return 'dropped';
      },
    });
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(bus);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    const caller = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, apis: [blobApi] })));
    const error = await caller.blob.dropTable({}, { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    // The caller's reads failed too (no table): the timeout says so instead of blaming the worker.
    expect((error as Error).message).toMatch(/Reading the results table was failing/);
    await eventually(() => outcomes.length === 1, 10_000, 'the call to be dead-lettered');
    expect(outcomes[0]).toMatchObject({ kind: 'deadLettered', reason: 'result-not-written' });
  });

  it('does not delete a message it returned to the queue at the drain timeout, even when its handler then finishes', async () => {
    const source = track(lightbus.create(testBusOptions({ serviceName: 'src', apis: [mathApi] })));
    source.register(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
    const watcher = track(lightbus.create(testBusOptions({ busName: source.settings.busName, serviceName: 'w', apis: [mathApi] })));
    let finished = 0;
    watcher.math.happened.listen(
      async () => {
        await new Promise((r) => setTimeout(r, 1500));
        finished += 1;
      },
      // A short visibility timeout: should a poll ever take the returned message and keep it, it
      // hides it only this long (stop() lets polls under way end and gives back what they return).
      { listenerName: 'slow', visibilityTimeoutSeconds: 2 },
    );
    let received = 0;
    const worker = new LightbusWorker(watcher, { provision: true, waitTimeSeconds: 1, drainTimeoutMs: 100 });
    worker.on('message_received', () => (received += 1));
    await worker.start();
    await source.math.happened.fire({ n: 1 });
    await eventually(() => received === 1, 10_000, 'the event to be received');
    await worker.stop();
    await eventually(() => finished === 1, 5000, 'the handler to finish after the stop');
    // The message is back on the queue (visibility 0) and was not deleted by the late finish.
    const url = await watcher.transports.queues.locator.url(watcher.topology().listeners[0]!.queueName);
    let body: string | undefined;
    await eventually(async () => {
      const out = await watcher.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
      body = out.Messages?.[0]?.Body;
      return body !== undefined;
    }, 10_000, 'the returned message to be on the queue');
    expect(JSON.parse(body!).detail.parameters).toEqual({ n: 1 });
  });

  it('stops cleanly when stop() comes while start() is still provisioning', async () => {
    const bus = track(lightbus.create(testBusOptions({ serviceName: 'math', apis: [mathApi] })));
    bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => '' });
    const errors: Error[] = [];
    const worker = new LightbusWorker(bus, { provision: true, waitTimeSeconds: 1 });
    worker.on('error', (e) => errors.push(e));
    const starting = worker.start();
    const stopping = worker.stop();
    await Promise.all([starting, stopping]);
    expect(worker.isRunning).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    expect(errors).toEqual([]); // no poll loop left behind failing
    // And the resources it provisioned are usable by a fresh worker.
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
  });
});
