/**
 * Issue #16 items 2 and 4, against the emulator: a caller's message names only call-result keys,
 * and call ids carry the caller's scope. (IAM is not enforced by the emulator used here: the key
 * conditions themselves are checked on the synthesized templates in test/cdk; the e2e suite proves
 * them on an emulator that enforces IAM.)
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { TaskRunLock, TaskRunner } from '../../runtime/tasks';
import { InvalidTableKeyError, taskRunKey } from '../../runtime/topology';
import { ResultsStore } from '../../runtime/transport';
import { eventually, lightbus, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

/** A service `jobs` that serves math and has a nightly task, with a running local worker (tasks off: the test runs them). */
async function jobsService() {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'jobs', apis: [mathApi] })));
  const runs: string[] = [];
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'done' });
  bus.schedule('cron(0 3 * * ? *)', ({ scheduledTime }) => void runs.push(scheduledTime.toISOString()), { taskName: 'nightly' });
  await startWorker(bus, { features: { tasks: false } });
  const table = bus.transports.location.resultsTable;
  const item = async (key: string) =>
    (await bus.transports.clients.dynamoDb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }))).Item;
  const sendRaw = async (id: string) => {
    const queueUrl = (await bus.transports.clients.sqs.send(new GetQueueUrlCommand({ QueueName: bus.topology().rpcQueues[0]!.queueName }))).QueueUrl;
    await bus.transports.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          v: 1,
          kind: 'lightbus.rpc',
          id,
          api: 'math',
          procedure: 'add',
          parameters: { a: 1, b: 1 },
          deadline: Date.now() + 30_000,
          returnPath: { table },
        }),
      }),
    );
  };
  return { bus, runs, table, item, sendRaw };
}

describe('a caller cannot cancel a scheduled task run (#16 item 2)', () => {
  it('a request whose id is a task run key writes nothing there, and the task still runs', async () => {
    const { bus, runs, item, sendRaw } = await jobsService();
    const time = new Date('2026-12-06T03:00:00.000Z');
    const key = taskRunKey('jobs', 'nightly', time);
    await sendRaw(key);
    // A well-formed call sent after it is answered: the worker has dealt with the crafted one by then.
    const marker = `probe.${randomUUID()}`;
    await sendRaw(marker);
    await eventually(async () => (await item(marker))?.state?.S === 'ok', 20_000, 'the probe call to be answered');
    expect(await item(key)).toBeUndefined();
    expect(await new TaskRunner(bus).run('nightly', time)).toEqual({ kind: 'done', attempt: 1 });
    expect(runs).toEqual([time.toISOString()]);
    expect((await item(key))?.state?.S).toBe('done');
  });

  it('the results store refuses another kind\'s key before any write, whoever calls it', async () => {
    const { bus, table, item } = await jobsService();
    const store = new ResultsStore(bus.transports.clients);
    const key = taskRunKey('jobs', 'nightly', new Date('2026-12-07T03:00:00.000Z'));
    const request = { table, callId: key, api: 'math', procedure: 'add', claimedBy: 'attacker', expiresAtEpochSeconds: 2_000_000_000 };
    await expect(store.claim(request)).rejects.toBeInstanceOf(InvalidTableKeyError);
    await expect(store.complete(table, key, { ok: true, resultJson: 'null' }, 2_000_000_000, false)).rejects.toBeInstanceOf(InvalidTableKeyError);
    await expect(store.complete(table, 'schema#math', { ok: true, resultJson: 'null' }, 2_000_000_000, false)).rejects.toBeInstanceOf(InvalidTableKeyError);
    await expect(store.readMany(table, ['schema#math'])).rejects.toBeInstanceOf(InvalidTableKeyError);
    expect(await item(key)).toBeUndefined();
    // And the task lock writes task run keys only.
    const lock = new TaskRunLock(bus.transports.clients);
    const fields = { service: 'jobs', taskName: 'nightly', scheduledTime: new Date(), claimedBy: 'x' };
    await expect(lock.claim(table, 'victim.0b6f1c1e-0000-4000-8000-000000000000', fields)).rejects.toBeInstanceOf(InvalidTableKeyError);
    await expect(lock.finish(table, 'schema#math', { ok: true })).rejects.toBeInstanceOf(InvalidTableKeyError);
    expect(await item('victim.0b6f1c1e-0000-4000-8000-000000000000')).toBeUndefined();
  });
});

describe('call ids carry the caller scope (#16 item 4)', () => {
  it('a client\'s call ids are `<its scope>.<uuid>`, which its grant alone may read', async () => {
    const { bus } = await jobsService();
    const seen: string[] = [];
    const caller = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, callerScope: 'frontend', apis: [mathApi] })));
    caller.hooks.on('beforeRpcCall', ({ callId }) => void seen.push(callId));
    expect(await caller.math.add({ a: 2, b: 3 })).toBe(5);
    expect(seen).toEqual([expect.stringMatching(/^frontend\.[0-9a-f-]{36}$/)]);
  });

  it('a caller can make the worker write under another scope only at an id it picked: the victim\'s own calls are untouched', async () => {
    // The scope is the reader's key, not an identity: the worker writes `victim.<uuid>` for anyone.
    // Harm needs the victim's *future* id, i.e. guessing a random UUID (docs/security.md).
    const { bus, item, sendRaw } = await jobsService();
    const planted = `victim.${randomUUID()}`;
    await sendRaw(planted);
    await eventually(async () => (await item(planted))?.state?.S === 'ok', 20_000, 'the planted result');
    const victim = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, callerScope: 'victim', apis: [mathApi] })));
    expect(await victim.math.add({ a: 20, b: 22 })).toBe(42);
  });
});
