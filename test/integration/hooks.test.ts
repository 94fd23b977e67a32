/**
 * Hooks and EMF metrics against the emulator: worker-side hooks run in the LightbusWorker and in
 * the Lambda handler (real SQS records taken from the emulator's queues), caller-side hooks in
 * the calling process, and every EMF line is a JSON document CloudWatch can read.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsHandler } from '../../handlers';
import { provisionTopology } from '../../local/provision';
import { RemoteError, silentLogger, type HookName } from '../../runtime';
import { testEnvironment } from '../support/aws';
import { eventually, lightbus, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';
import { expectValidEmf, type EmfLine } from '../support/emf';
import { queueRef, receiveSqsEvent, settleLikeEventSourceMapping } from '../handlers/sqs-event';

const env = testEnvironment();
const sqs = new SQSClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });

afterEach(stopAll);
afterAll(() => sqs.destroy());

/** A bus serving mathApi with a counting listener, whose every hook is recorded. */
function serverBus(busName?: string) {
  const handled: number[] = [];
  const bus = lightbus.create(testBusOptions({ serviceName: 'math', apis: [mathApi], ...(busName ? { busName } : {}) }));
  bus.register(mathApi, {
    add: ({ a, b }) => a + b,
    fail: ({ message }) => {
      throw new Error(message);
    },
    slow: () => 'done',
  });
  bus.math.happened.listen((_event, { n }) => void handled.push(n), { listenerName: 'counter' });
  const seen: { hook: HookName; context: Record<string, unknown> }[] = [];
  const names: HookName[] = ['beforeRpcExecution', 'afterRpcExecution', 'beforeEventExecution', 'afterEventExecution', 'workerStarted', 'workerStopping', 'workerStopped'];
  for (const hook of names) {
    bus.hooks.on(hook, (context, client) => {
      expect(client).toBe(bus);
      seen.push({ hook, context: { ...context } });
    });
  }
  const emf: EmfLine[] = [];
  lightbus.metrics.emf(bus, { write: (line) => emf.push(JSON.parse(line) as EmfLine) });
  return { bus, handled, seen, emf };
}

function callerBus(busName: string) {
  const bus = track(lightbus.create(testBusOptions({ busName, apis: [mathApi] })));
  const seen: { hook: HookName; context: Record<string, unknown> }[] = [];
  for (const hook of ['beforeRpcCall', 'afterRpcCall'] as const) {
    bus.hooks.on(hook, (context) => void seen.push({ hook, context: { ...context } }));
  }
  const emf: EmfLine[] = [];
  lightbus.metrics.emf(bus, { write: (line) => emf.push(JSON.parse(line) as EmfLine) });
  return { bus, seen, emf };
}

describe('hooks and EMF metrics', () => {
  it('run in the LightbusWorker: execution hooks around procedures and listeners, and the worker lifecycle', async () => {
    const server = serverBus();
    const worker = await startWorker(server.bus);
    expect(server.seen.map((s) => s.hook)).toEqual(['workerStarted']);
    expect(server.seen[0]!.context).toMatchObject({ busName: server.bus.settings.busName, serviceName: 'math', rpcs: ['math.add', 'math.fail', 'math.slow'] });

    const caller = callerBus(server.bus.settings.busName);
    await expect(caller.bus.math.add({ a: 40, b: 2 })).resolves.toBe(42);
    await expect(caller.bus.math.fail({ message: 'on purpose' })).rejects.toThrow(RemoteError);
    await server.bus.math.happened.fire({ n: 7 });
    await eventually(() => server.seen.some((s) => s.hook === 'afterEventExecution'), 15_000, 'afterEventExecution');

    const executions = server.seen.filter((s) => s.hook.endsWith('RpcExecution'));
    expect(executions.map((s) => `${s.hook} ${String(s.context.member)}`)).toEqual([
      'beforeRpcExecution add',
      'afterRpcExecution add',
      'beforeRpcExecution fail',
      'afterRpcExecution fail',
    ]);
    expect(executions[1]!.context).toMatchObject({ api: 'math', parameters: { a: 40, b: 2 }, outcome: { ok: true, value: 42 } });
    expect(executions[3]!.context.outcome).toMatchObject({ ok: false, error: { message: 'on purpose' } });
    // Both sides see the same call id.
    const callIds = caller.seen.filter((s) => s.hook === 'afterRpcCall').map((s) => s.context.callId);
    expect(executions.filter((s) => s.hook === 'afterRpcExecution').map((s) => s.context.callId)).toEqual(callIds);
    expect(server.seen.find((s) => s.hook === 'afterEventExecution')!.context).toMatchObject({
      api: 'math',
      member: 'happened',
      listenerName: 'counter',
      parameters: { n: 7 },
      outcome: { ok: true },
    });

    await worker.stop();
    expect(server.seen.slice(-2).map((s) => s.hook)).toEqual(['workerStopping', 'workerStopped']);

    // EMF: the caller's two calls; the server's two executions, one fire and one listener run.
    expect(caller.emf.map((l) => [l.Operation, l.RpcCallErrors])).toEqual([
      ['rpcCall', 0],
      ['rpcCall', 1],
    ]);
    expect(server.emf.map((l) => l.Operation).sort()).toEqual(['eventExecution', 'eventSent', 'rpcExecution', 'rpcExecution']);
    const declared = new Set<string>();
    for (const line of [...caller.emf, ...server.emf]) {
      expect(line._aws.CloudWatchMetrics[0]!).toMatchObject({ Namespace: 'Lightbus', Dimensions: [['Service', 'Api', 'Member']] });
      for (const name of Object.keys(expectValidEmf(line))) declared.add(name);
    }
    expect([...declared].sort()).toEqual(
      ['EventExecutionDuration', 'EventExecutionErrors', 'EventSendErrors', 'EventsSent', 'RpcCallDuration', 'RpcCallErrors', 'RpcExecutionDuration', 'RpcExecutionErrors'].sort(),
    );
    expect(server.emf.find((l) => l.Operation === 'rpcExecution' && l.Outcome === 'error')).toMatchObject({ RpcExecutionErrors: 1, Service: 'math' });
  });

  it('run in the Lambda handler, for real SQS records (Lambda has no worker lifecycle: no worker* hooks)', async () => {
    const server = serverBus();
    const provisioned = await provisionTopology(server.bus.topology(), server.bus.transports.clients, silentLogger);
    const topology = server.bus.topology();
    const url = (name: string) => queueRef(sqs, provisioned.queueUrls.get(name)!);
    const rpcQueue = await url(topology.rpcQueues[0]!.queueName);
    const listenerQueue = await url(topology.listeners[0]!.queueName);
    const handler = createSqsHandler(server.bus);

    const caller = callerBus(server.bus.settings.busName);
    const call = caller.bus.math.add({ a: 1, b: 2 });
    const rpcEvent = await receiveSqsEvent(sqs, rpcQueue, { min: 1 });
    await settleLikeEventSourceMapping(sqs, rpcQueue, rpcEvent, await handler(rpcEvent));
    await expect(call).resolves.toBe(3);

    await server.bus.math.happened.fire({ n: 3 });
    const listenerEvent = await receiveSqsEvent(sqs, listenerQueue, { min: 1 });
    await settleLikeEventSourceMapping(sqs, listenerQueue, listenerEvent, await handler(listenerEvent));
    expect(server.handled).toEqual([3]);

    expect(server.seen.map((s) => s.hook)).toEqual(['beforeRpcExecution', 'afterRpcExecution', 'beforeEventExecution', 'afterEventExecution']);
    expect(server.seen[1]!.context).toMatchObject({ member: 'add', outcome: { ok: true, value: 3 }, callId: caller.seen[0]!.context.callId });
    expect(server.seen[3]!.context).toMatchObject({ member: 'happened', receiveCount: 1, outcome: { ok: true } });
    expect(server.emf.map((l) => l.Operation)).toEqual(['rpcExecution', 'eventSent', 'eventExecution']);
    for (const line of server.emf) expect(Object.keys(expectValidEmf(line)).length).toBe(2);
  });
});
