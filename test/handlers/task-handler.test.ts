import { TaskRunLock, taskRunKey } from '../../runtime/tasks';
/**
 * The worker function's scheduled invocations, with the input a LightbusService schedule rule
 * delivers (see docs/wire-format.md "Scheduled tasks"), against the emulator's results table.
 */
import { createBusWorkerHandler, TaskRunFailedError, UnknownInvocationError } from '../../handlers';
import { provisionTopology } from '../../local/provision';
import { lightbus, silentLogger, type TaskContext, type TaskOutcome } from '../../runtime';
import type { TaskInvocation } from '../../runtime/tasks';
import { uniqueName } from '../support/aws';

function fixture() {
  const bus = lightbus.create({ busName: uniqueName('ht'), serviceName: 'reports', logger: silentLogger });
  const runs: TaskContext[] = [];
  let failuresLeft = 0;
  bus.schedule(
    'cron(0 3 * * ? *)',
    (context) => {
      runs.push(context);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('report generation failed on purpose');
      }
    },
    { taskName: 'nightlyReport' },
  );
  const outcomes: TaskOutcome[] = [];
  const handler = createBusWorkerHandler(bus, { onTaskOutcome: (_input, outcome) => outcomes.push(outcome) });
  return { bus, runs, outcomes, handler, failNext: (n: number) => (failuresLeft = n) };
}

/** A direct task invocation (what an operator passes to run one scheduled time by hand). */
function invocation(time: string): TaskInvocation {
  return { v: 1, kind: 'lightbus.task', service: 'reports', task: 'nightlyReport', scheduledTime: time };
}

const buses: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(buses.map((b) => b.close())));

describe('worker function: scheduled task invocations', () => {
  it('runs the task named by the input, once per scheduled time', async () => {
    const f = fixture();
    buses.push(f.bus);
    await provisionTopology(f.bus.topology(), f.bus.transports.clients, silentLogger);
    const result = await f.handler(invocation('2024-05-01T03:00:00Z'));
    expect(result).toEqual({ task: 'nightlyReport', scheduledTime: '2024-05-01T03:00:00Z', outcome: 'done', attempt: 1 });
    expect(f.runs).toEqual([{ taskName: 'nightlyReport', service: 'reports', scheduledTime: new Date('2024-05-01T03:00:00Z'), attempt: 1 }]);
    // EventBridge delivers at least once: a duplicate of the same scheduled time does not run again.
    expect(await f.handler(invocation('2024-05-01T03:00:00Z'))).toMatchObject({ outcome: 'skipped' });
    expect(f.runs).toHaveLength(1);
    // The next day's time is a new run.
    expect(await f.handler(invocation('2024-05-02T03:00:00Z'))).toMatchObject({ outcome: 'done', attempt: 1 });
  });

  it('throws when the task fails, so Lambda retries it, and the retry runs as the next attempt', async () => {
    const f = fixture();
    buses.push(f.bus);
    await provisionTopology(f.bus.topology(), f.bus.transports.clients, silentLogger);
    f.failNext(1);
    const failed = f.handler(invocation('2024-06-01T03:00:00Z'));
    await expect(failed).rejects.toThrow(TaskRunFailedError);
    await expect(failed).rejects.toThrow(/Scheduled task "nightlyReport" \(2024-06-01T03:00:00Z, attempt 1\) failed: report generation failed on purpose/);
    expect(await f.handler(invocation('2024-06-01T03:00:00Z'))).toMatchObject({ outcome: 'done', attempt: 2 });
    expect(f.runs.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('returns inputs naming no task of the module as rejected, without running anything', async () => {
    const f = fixture();
    buses.push(f.bus);
    expect(await f.handler({ ...invocation('2024-05-01T03:00:00Z'), task: 'weeklyReport' })).toMatchObject({ outcome: 'rejected' });
    expect(await f.handler({ ...invocation('2024-05-01T03:00:00Z'), service: 'billing' })).toMatchObject({ outcome: 'rejected' });
    expect(f.outcomes.map((o) => (o.kind === 'rejected' ? o.error.code : o.kind))).toEqual(['UNKNOWN_TASK', 'WRONG_SERVICE']);
    expect(f.runs).toHaveLength(0);
  });

  it('routes by event shape: SQS batches still go to the SQS handler; anything else is refused', async () => {
    const f = fixture();
    buses.push(f.bus);
    expect(await f.handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    await expect(f.handler({ hello: 'world' } as never)).rejects.toThrow(UnknownInvocationError);
    await expect(f.handler({ hello: 'world' } as never)).rejects.toThrow(/expects an SQS event .* a task invocation .*got object with keys hello/);
  });

  it("runs the task named by a schedule rule's own Scheduled Event (rule ARN → task, time → scheduled time)", async () => {
    const f = fixture();
    buses.push(f.bus);
    const rule = f.bus.topology().tasks.find((t) => t.taskName === 'nightlyReport')!.ruleName;
    const scheduled = {
      version: '0',
      id: 'e-1',
      'detail-type': 'Scheduled Event' as const,
      source: 'aws.events' as const,
      account: '000000000000',
      time: '2024-07-01T03:00:00Z',
      region: 'us-east-1',
      resources: [`arn:aws:events:us-east-1:000000000000:rule/${rule}`],
      detail: {},
    };
    await provisionTopology(f.bus.topology(), f.bus.transports.clients, silentLogger);
    expect(await f.handler(scheduled)).toEqual({ task: 'nightlyReport', scheduledTime: '2024-07-01T03:00:00.000Z', outcome: 'done', attempt: 1 });
    expect(f.runs).toEqual([{ taskName: 'nightlyReport', service: 'reports', scheduledTime: new Date('2024-07-01T03:00:00Z'), attempt: 1 }]);
    // EventBridge may deliver the same scheduled event twice: the second is skipped.
    expect(await f.handler(scheduled)).toMatchObject({ outcome: 'skipped' });
    await expect(f.handler({ ...scheduled, resources: ['arn:aws:events:us-east-1:000000000000:rule/someone-elses-rule'] })).rejects.toThrow(
      /names no scheduled task of this worker/,
    );
  });

  it('runs again a scheduled time whose earlier run died (claim past its lease), not one still running', async () => {
    const f = fixture();
    buses.push(f.bus);
    await provisionTopology(f.bus.topology(), f.bus.transports.clients, silentLogger);
    const table = f.bus.transports.location.resultsTable;
    const lock = new TaskRunLock(f.bus.transports.clients);
    const claimed = (time: string) =>
      lock.claim(table, taskRunKey('reports', 'nightlyReport', new Date(time)), {
        service: 'reports',
        taskName: 'nightlyReport',
        scheduledTime: new Date(time),
        claimedBy: 'a-process-that-dies',
      });
    // A claim left `running` by an invocation that timed out: never finished.
    expect(await claimed('2024-08-01T03:00:00Z')).toEqual({ claimed: true, attempt: 1 });
    const context = { getRemainingTimeInMillis: () => 1000 }; // lease = 1 s + 5 s margin
    // Still within its lease: the retry is skipped (the first run may still be going).
    expect(await f.handler(invocation('2024-08-01T03:00:00Z'), context)).toMatchObject({ outcome: 'skipped' });
    // Past the lease: the retry claims it and runs it as attempt 2.
    const staleBy = 7000;
    const originalNow = Date.now;
    Date.now = () => originalNow() + staleBy;
    try {
      expect(await f.handler(invocation('2024-08-01T03:00:00Z'), context)).toMatchObject({ outcome: 'done', attempt: 2 });
    } finally {
      Date.now = originalNow;
    }
    expect(f.runs.map((r) => r.attempt)).toEqual([2]);
  });
});
