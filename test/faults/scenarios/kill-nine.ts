import { waitUntil } from '../../../tools/faults/workers';
import type { Scenario } from './scenario';

const EVENTS = 20;

/**
 * A worker killed with SIGKILL in the middle of a batch: it can neither finish nor return what it
 * holds. Its messages come back after their visibility timeout and a successor handles every one:
 * nothing lost. (Listeners are at least once: one killed mid-handler runs again. A call killed
 * mid-run is not re-run, at most once, and its caller gets a timeout; no call is running here.)
 */
export const killNine: Scenario = {
  name: 'kill -9 mid-batch',
  async run(ctx) {
    const victim = await ctx.worker('W1', ['--wait-time', '2', '--concurrency', '10']);
    const tags = Array.from({ length: EVENTS }, (_, i) => `k9-${i}`);
    await Promise.all(tags.map((tag) => ctx.client.faults.job.fire({ tag, ms: 1500, firedAt: Date.now() })));
    await waitUntil(() => (ctx.counts('ev-start').size >= 5), 20_000, 50);
    const startedBeforeKill = ctx.counts('ev-start').size;
    await victim.kill9();
    await ctx.worker('W2', ['--wait-time', '2', '--concurrency', '10']);
    await waitUntil(() => tags.every((tag) => ctx.counts('ev-end').has(tag)), 40_000, 250);
    const ends = ctx.counts('ev-end');
    ctx.tally.lost += tags.filter((tag) => !ends.has(tag)).length;
    ctx.tally.runTwice += [...ends.values()].filter((n) => n > 1).length;
    const rerun = [...ctx.counts('ev-start').values()].filter((n) => n > 1).length;
    ctx.tally.notes.push(`${startedBeforeKill} handlers running at SIGKILL; ${rerun} events re-run after it (at least once), each completed once`);
  },
};
