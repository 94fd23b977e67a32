/**
 * Scheduled tasks in the local worker, against the emulator: timers, failures, overlap, the
 * `tasks` feature, stop(), and the run records that make each scheduled time run once.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { LocalTaskOutcome } from '../../local/task-runner';
import type { TaskContext } from '../../runtime/tasks';
import { TaskRunner, taskRunKey } from '../../runtime/tasks';
import { testEnvironment, uniqueName } from '../support/aws';
import { eventually, lightbus, startWorker, stopAll, testBusOptions, track } from '../support/bus';
import { killAllCli, REPO_ROOT, startCli } from '../support/cli';

const env = testEnvironment();
const dynamo = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });

afterEach(stopAll);
afterAll(() => dynamo.destroy());

function taskBus(busName = uniqueName('t'), serviceName = 'jobs') {
  return track(lightbus.create(testBusOptions({ busName, serviceName })));
}

async function runRecord(table: string, key: string) {
  const out = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }));
  return out.Item;
}

describe('scheduled tasks in the local worker', () => {
  it('runs an every({ seconds: 1 }) task repeatedly, once per scheduled time, with its context', async () => {
    const bus = taskBus();
    const runs: TaskContext[] = [];
    bus.every({ seconds: 1 }, (context) => void runs.push(context), { taskName: 'tick' });
    const worker = await startWorker(bus);
    await eventually(() => runs.length >= 3, 20_000, 'three runs of the task');
    expect(worker.isRunning).toBe(true);
    const times = runs.map((r) => r.scheduledTime.getTime());
    expect(new Set(times).size).toBe(times.length);
    for (const run of runs) {
      expect(run).toMatchObject({ taskName: 'tick', service: 'jobs', attempt: 1 });
      expect(run.scheduledTime.getTime() % 1000).toBe(0); // on the grid of whole seconds
    }
    // The run record: pk task#<service>#<task>#<scheduledTime>, state done, one attempt.
    const table = bus.transports.location.resultsTable;
    const first = runs[0]!;
    await eventually(async () => (await runRecord(table, taskRunKey('jobs', 'tick', first.scheduledTime)))?.state?.S === 'done', 10_000, 'the run record');
    const item = await runRecord(table, `task#jobs#tick#${first.scheduledTime.toISOString()}`);
    expect(item).toMatchObject({
      state: { S: 'done' },
      attempts: { N: '1' },
      service: { S: 'jobs' },
      task: { S: 'tick' },
      scheduledTime: { S: first.scheduledTime.toISOString() },
      expiresAt: { N: expect.any(String) },
    });
  });

  it('logs a throwing task, keeps the worker and later runs going, and records the failure', async () => {
    const bus = taskBus();
    let calls = 0;
    bus.every(
      { seconds: 1 },
      () => {
        calls += 1;
        throw new Error(`task failed on purpose (${calls})`);
      },
      { taskName: 'broken' },
    );
    const worker = await startWorker(bus);
    const outcomes: LocalTaskOutcome[] = [];
    const failedTimes: Date[] = [];
    worker.on('task_finished', (_name, time, outcome) => {
      outcomes.push(outcome);
      if (outcome.kind === 'failed') failedTimes.push(time);
    });
    await eventually(() => failedTimes.length >= 3, 20_000, 'three failed runs');
    expect(worker.isRunning).toBe(true);
    const failure = outcomes.find((o) => o.kind === 'failed');
    expect(failure).toMatchObject({ kind: 'failed', attempt: 1, error: { message: expect.stringMatching(/task failed on purpose/) } });
    const item = await runRecord(bus.transports.location.resultsTable, taskRunKey('jobs', 'broken', failedTimes[0]!));
    expect(item?.state?.S).toBe('failed');
    expect(JSON.parse(item?.error?.S ?? '{}')).toMatchObject({ name: 'Error', message: expect.stringMatching(/task failed on purpose/) });
  });

  it('runs no tasks with the tasks feature off (while an identical worker with it on does)', async () => {
    const off = taskBus();
    const on = taskBus();
    let offRuns = 0;
    let onRuns = 0;
    off.every({ seconds: 1 }, () => void (offRuns += 1), { taskName: 'tick' });
    on.every({ seconds: 1 }, () => void (onRuns += 1), { taskName: 'tick' });
    await startWorker(off, { features: { tasks: false } });
    await startWorker(on);
    await eventually(() => onRuns >= 3, 20_000, 'three runs with the feature on');
    expect(offRuns).toBe(0);
  });

  it('with two workers of one service, runs each scheduled time once', async () => {
    const busName = uniqueName('t');
    const runs: { worker: string; time: number }[] = [];
    const buses = ['a', 'b'].map((name) => {
      const bus = taskBus(busName, 'jobs');
      bus.every({ seconds: 1 }, ({ scheduledTime }) => void runs.push({ worker: name, time: scheduledTime.getTime() }), { taskName: 'tick' });
      return bus;
    });
    await Promise.all(buses.map((bus) => startWorker(bus)));
    await eventually(() => runs.length >= 6, 20_000, 'six runs between the two workers');
    const times = runs.map((r) => r.time);
    expect(new Set(times).size).toBe(times.length);
  });

  it('skips a run that is due while the previous one is still going, never overlapping', async () => {
    const bus = taskBus();
    let active = 0;
    let maxActive = 0;
    let finished = 0;
    bus.every(
      { seconds: 1 },
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 2500));
        active -= 1;
        finished += 1;
      },
      { taskName: 'slow' },
    );
    const worker = await startWorker(bus);
    const skipped: LocalTaskOutcome[] = [];
    worker.on('task_finished', (_n, _t, outcome) => {
      if (outcome.kind === 'skipped') skipped.push(outcome);
    });
    await eventually(() => finished >= 2 && skipped.length >= 1, 30_000, 'two finished runs and a skipped one');
    expect(skipped[0]).toEqual({ kind: 'skipped', reason: 'overlap' });
    expect(maxActive).toBe(1);
  });

  it('stop() waits for a task run in progress', async () => {
    const bus = taskBus();
    let started = 0;
    let finished = 0;
    bus.every(
      { seconds: 1 },
      async () => {
        started += 1;
        await new Promise((r) => setTimeout(r, 1500));
        finished += 1;
      },
      { taskName: 'work' },
    );
    const worker = await startWorker(bus, { drainTimeoutMs: 20_000 });
    await eventually(() => started >= 1, 20_000, 'a run to start');
    await worker.stop();
    expect(finished).toBe(started);
    const after = started;
    await new Promise((r) => setTimeout(r, 1500));
    expect(started).toBe(after); // no runs after stop
  });
});

describe('TaskRunner (the code path shared with Lambda)', () => {
  it('runs an invocation, skips its duplicate, and re-runs a failed time with the next attempt', async () => {
    const bus = taskBus();
    const attempts: number[] = [];
    let fail = true;
    bus.schedule(
      'cron(0 3 * * ? *)',
      ({ attempt }) => {
        attempts.push(attempt);
        if (fail) throw new Error('first attempt fails');
      },
      { taskName: 'nightly' },
    );
    await startWorker(bus, { features: { tasks: false } }); // provisions the results table
    const runner = new TaskRunner(bus);
    const input = { v: 1, kind: 'lightbus.task', service: 'jobs', task: 'nightly', scheduledTime: '2024-05-01T03:00:00Z' };
    expect(await runner.invoke(input)).toMatchObject({ kind: 'failed', attempt: 1 });
    fail = false;
    expect(await runner.invoke(input)).toEqual({ kind: 'done', attempt: 2 });
    const info = jest.spyOn(bus.logger, 'info');
    expect(await runner.invoke(input)).toEqual({ kind: 'skipped', reason: 'duplicate' });
    // A skipped run is logged at info, with the reason read from the run record that holds it.
    expect(info).toHaveBeenCalledWith(
      expect.stringContaining('Skipped a scheduled task run'),
      expect.objectContaining({ task: 'nightly', reason: 'already done', recordState: 'done', attempts: 2 }),
    );
    info.mockRestore();
    expect(attempts).toEqual([1, 2]);
    expect(await runner.invoke({ ...input, task: 'missing' })).toMatchObject({
      kind: 'rejected',
      error: { code: 'UNKNOWN_TASK', message: expect.stringContaining('its tasks are "nightly"') },
    });
    expect(await runner.invoke({ ...input, service: 'other' })).toMatchObject({ kind: 'rejected', error: { code: 'WRONG_SERVICE' } });
    expect(await runner.invoke({ ...input, scheduledTime: 'yesterday' })).toMatchObject({
      kind: 'rejected',
      error: { message: expect.stringContaining('scheduledTime must be an ISO 8601 time') },
    });
  });
});

describe('lightbus run and the tasks feature', () => {
  afterEach(killAllCli);

  it('runs the tasks by default, and none with --skip tasks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-tasks-'));
    const module = join(REPO_ROOT, 'test', 'fixtures', 'ticking-task-bus.ts');
    const start = (file: string, extra: string[]) =>
      startCli(['run', '--local', '--bus', module, ...extra], {
        LIGHTBUS_BUS_NAME: uniqueName('t'),
        LIGHTBUS_LOG_LEVEL: 'info',
        LIGHTBUS_TEST_RECORD_FILE: join(dir, file),
      });
    const lines = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean) : []);
    const skipping = start('skipping.txt', ['--skip', 'tasks']);
    const running = start('running.txt', []);
    const startedLog = async (cli: ReturnType<typeof startCli>) =>
      JSON.parse(await cli.waitForLine('stderr', (l) => l.includes('"Worker started"'))) as Record<string, unknown>;
    expect(await startedLog(skipping)).toMatchObject({ tasks: [] });
    expect(await startedLog(running)).toMatchObject({ tasks: ['tick rate(1 second)'] });
    await eventually(() => lines('running.txt').length >= 3, 30_000, 'three runs in the default worker');
    expect(lines('skipping.txt')).toEqual([]);
    for (const cli of [skipping, running]) cli.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  });
});
