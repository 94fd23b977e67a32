/**
 * Worker state on the bus (issue #13): a running LightbusWorker reports itself — an item that
 * readWorkerStates() finds at once, and `lightbus.state` events on the event bus — refreshes it
 * with heartbeats, and marks itself stopping when it stops. `lightbus inspect --workers` shows it.
 */
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { readWorkerStates, WORKER_STATE_API, type WorkerState } from '../../runtime';
import { WORKER_INDEX_KEY } from '../../runtime/topology';
import { readWorkerStatesFrom } from '../../runtime/worker-state';
import { eventually, lightbus, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';
import { testEnvironment, uniqueName } from '../support/aws';
import { jsonLines, killAllCli, runCli, startCli } from '../support/cli';

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };

afterEach(async () => {
  await killAllCli();
  await stopAll();
});

/** A math server that also listens to its own event, as service `mathsvc`. */
function mathServer(options: { workerHeartbeatSeconds?: number } = {}) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi], ...options })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  bus.math.happened.listen(() => undefined, { listenerName: 'audit' });
  return bus;
}

function onlyWorker(states: readonly WorkerState[], workerId: string | undefined): WorkerState {
  const found = states.filter((s) => s.workerId === workerId);
  expect(found).toHaveLength(1);
  return found[0] as WorkerState;
}

describe('worker state', () => {
  it('a started worker is in readWorkerStates at once, with its APIs, listeners, version and runtime', async () => {
    const bus = mathServer();
    const worker = await startWorker(bus);
    const state = onlyWorker(await readWorkerStates(bus), worker.workerId);
    expect(state).toMatchObject({
      service: 'mathsvc',
      status: 'running',
      runtime: 'local',
      apis: ['math'],
      listeners: [{ api: 'math', event: 'happened', listener: 'audit' }],
      version: (require('../../package.json') as { version: string }).version,
      pid: process.pid,
      heartbeatSeconds: 60,
    });
    expect(Date.parse(state.startedAt)).toBeLessThanOrEqual(Date.parse(state.lastSeenAt));
  });

  it('--skip rpcs: the worker reports no APIs, only its listeners', async () => {
    const bus = mathServer();
    const worker = await startWorker(bus, { features: { rpcs: false } });
    expect(onlyWorker(await readWorkerStates(bus), worker.workerId)).toMatchObject({ apis: [], listeners: [{ listener: 'audit' }] });
  });

  it('heartbeats move lastSeenAt on; stop marks the worker stopping', async () => {
    const bus = mathServer({ workerHeartbeatSeconds: 1 });
    const worker = await startWorker(bus);
    const first = onlyWorker(await readWorkerStates(bus), worker.workerId);
    let latest = first;
    await eventually(async () => {
      latest = onlyWorker(await readWorkerStates(bus), worker.workerId);
      return latest.lastSeenAt > first.lastSeenAt;
    }, 10_000, 'a heartbeat');
    expect(latest).toMatchObject({ status: 'running', startedAt: first.startedAt, heartbeatSeconds: 1 });

    await worker.stop();
    expect(onlyWorker(await readWorkerStates(bus), worker.workerId)).toMatchObject({ status: 'stopping', startedAt: first.startedAt });
  });

  it('two workers of one bus are both listed; an expired entry is left out', async () => {
    const bus = mathServer();
    const other = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, serviceName: 'othersvc', apis: [mathApi] })));
    other.math.happened.listen(() => undefined, { listenerName: 'tally' });
    const [a, b] = [await startWorker(bus), await startWorker(other)];
    const states = await readWorkerStates(bus);
    expect(states.map((s) => [s.service, s.workerId])).toEqual([
      ['mathsvc', a.workerId],
      ['othersvc', b.workerId],
    ]);
    // More than five heartbeat intervals (60 s) on, neither counts any more.
    const later = await readWorkerStatesFrom(bus.transports.clients.dynamoDb, bus.transports.location.resultsTable, { now: Date.now() + 6 * 60_000 });
    expect(later).toEqual([]);
  });

  it("a starting worker prunes its own service's expired index entries, not another service's", async () => {
    const bus = mathServer();
    await startWorker(bus);
    const { dynamoDb } = bus.transports.clients;
    const TableName = bus.transports.location.resultsTable;
    const Key = { pk: { S: WORKER_INDEX_KEY } };
    // Entries of workers that died long ago (expired in 1970): one of mathsvc's, one of othersvc's.
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName,
        Key,
        UpdateExpression: 'SET #own = :gone, #other = :gone',
        ExpressionAttributeNames: { '#own': 'mathsvc#dead00000001', '#other': 'othersvc#dead00000002' },
        ExpressionAttributeValues: { ':gone': { N: '1' } },
      }),
    );
    // A second mathsvc worker on the same bus: its start prunes.
    const second = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, serviceName: 'mathsvc', apis: [mathApi] })));
    second.math.happened.listen(() => undefined, { listenerName: 'audit' });
    await startWorker(second);
    const index = (await dynamoDb.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }))).Item ?? {};
    expect(index['mathsvc#dead00000001']).toBeUndefined();
    // Not mathsvc's to remove (its grant allows only mathsvc#* entries); readers leave it out as expired.
    expect(index['othersvc#dead00000002']).toEqual({ N: '1' });
  });

  it('fires lightbus.state events on the event bus, in the documented envelope', async () => {
    const bus = mathServer();
    const eventBusName = bus.transports.location.eventBusName;
    const sqs = new SQSClient(clientConfig);
    const events = new EventBridgeClient(clientConfig);
    const queueName = uniqueName('wstate');
    const ruleName = uniqueName('wstate');
    // The event bus exists once a provisioning worker started: one that reports nothing, so the rule is in place before the reports.
    await startWorker(track(lightbus.create(testBusOptions({ busName: bus.settings.busName }))), { workerState: false });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await events.send(
      new PutRuleCommand({ Name: ruleName, EventBusName: eventBusName, EventPattern: JSON.stringify({ source: [`lightbus.${WORKER_STATE_API}`] }) }),
    );
    await events.send(new PutTargetsCommand({ Rule: ruleName, EventBusName: eventBusName, Targets: [{ Id: 'q', Arn: Attributes!.QueueArn! }] }));
    try {
      const worker = await startWorker(bus);
      await worker.stop();
      const seen: Record<string, unknown>[] = [];
      await eventually(async () => {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        seen.push(...(out.Messages ?? []).map((m) => JSON.parse(m.Body!) as Record<string, unknown>));
        return seen.length >= 2;
      }, 15_000, 'two worker-state events');
      const byType = Object.fromEntries(seen.map((e) => [e['detail-type'], e]));
      expect(byType['lightbus.state.workerStarted']).toMatchObject({
        source: 'lightbus.lightbus.state',
        detail: {
          v: 1,
          kind: 'lightbus.event',
          api: 'lightbus.state',
          event: 'workerStarted',
          parameters: { service: 'mathsvc', workerId: worker.workerId, status: 'running', apis: ['math'], runtime: 'local' },
          sender: { service: 'mathsvc' },
        },
      });
      expect(byType['lightbus.state.workerStopping']).toMatchObject({ detail: { parameters: { workerId: worker.workerId, status: 'stopping' } } });
    } finally {
      await events.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: eventBusName, Ids: ['q'] })).catch(() => undefined);
      await events.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: eventBusName })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
      sqs.destroy();
      events.destroy();
    }
  });
});

describe('lightbus inspect --workers', () => {
  it("names the example worker's APIs and listener, as a table and as JSON", async () => {
    const busName = uniqueName('wsx');
    const worker = startCli(['run', '--local', '--bus', 'examples/auth/bus.ts', '--bus-name', busName, '--skip', 'tasks']);
    await worker.waitForLine('stderr', (line) => line.includes('"Worker started"'), 60_000);

    const json = await runCli(['inspect', '--workers', '--json', '--local', '--bus-name', busName]);
    expect(json.code).toBe(0);
    const workers = JSON.parse(json.stdout) as (WorkerState & { stale: boolean })[];
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({
      service: 'auth',
      status: 'running',
      stale: false,
      runtime: 'local',
      apis: ['auth'],
      listeners: [{ api: 'customers', event: 'newCustomer', listener: 'createUserForCustomer' }],
    });

    const table = await runCli(['inspect', '--workers', '--local', '--bus-name', busName]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^SERVICE\s+WORKER\s+STATUS\s+RUNTIME\s+APIS\s+LISTENERS\s+VERSION\s+LAST SEEN$/);
    expect(row).toContain(workers[0]!.workerId);
    expect(row).toMatch(/^auth\s+\S+\s+running\s+local\s+auth\s+createUserForCustomer\(customers\.newCustomer\)\s/);

    worker.child.kill('SIGINT');
    expect((await worker.exited).code).toBe(0);
    expect(jsonLines(worker.stderr()).some((l) => l.message === 'Worker stopped')).toBe(true);
  }, 120_000);
});
