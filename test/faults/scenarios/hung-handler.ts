import { RemoteError } from '../../../runtime/errors';
import { waitUntil } from '../../../tools/faults/workers';
import { settles, type Scenario } from './scenario';

const EXECUTION_TIMEOUT_MS = 1500;

/**
 * Issue #10, item 5: a procedure or listener that never returns must not hold its message (and its
 * slot) forever. With `--execution-timeout`, the hung call's caller gets an EXECUTION_TIMEOUT error
 * before its deadline, the hung listener fails like any failing listener (retried, then
 * dead-lettered), and the worker keeps serving.
 */
export const hungHandler: Scenario = {
  name: 'hung procedure and listener',
  async run(ctx) {
    await ctx.worker('W', ['--wait-time', '2', '--execution-timeout', String(EXECUTION_TIMEOUT_MS), '--concurrency', '2']);
    const startedAt = Date.now();
    const outcome = await ctx.client.faults.hang({ tag: 'hung-call' }, { timeoutMs: 8000 }).then(
      () => 'returned',
      (e: unknown) => (e instanceof RemoteError ? (e.remoteCode ?? e.remoteName) : (e as Error).name),
    );
    const tookMs = Date.now() - startedAt;
    if (outcome !== 'EXECUTION_TIMEOUT') ctx.tally.lost += 1;
    await ctx.client.faults.stuck.fire({ tag: 'hung-listener' });
    const dlq = ctx.listenerQueue('stuck').deadLetterQueueName;
    const deadLettered: string[] = [];
    const reached = await waitUntil(async () => {
      for (const m of await ctx.drain(dlq)) deadLettered.push(m.attributes['lightbus.reason']?.StringValue ?? m.body.slice(0, 20));
      return deadLettered.length > 0;
    }, 30_000, 500);
    if (!reached) ctx.tally.lost += 1;
    // Its slots are free again: the worker (2 slots, both hung once) still serves.
    if (!(await settles(ctx.client.faults.work({ tag: 'after-hang', ms: 10 }, { timeoutMs: 8000 }), 'after-hang'))) ctx.tally.lost += 1;
    ctx.tally.runTwice += [...ctx.counts('hang-start').values()].filter((n) => n > 1).length;
    ctx.tally.notes.push(
      `hung call answered with ${outcome} after ${tookMs} ms; hung listener ran ${ctx.counts('stuck-start').get('hung-listener') ?? 0}× ` +
        `then dead-lettered (${deadLettered.join(', ') || 'not'})`,
    );
  },
};
