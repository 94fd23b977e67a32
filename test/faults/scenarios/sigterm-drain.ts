import { sleep, waitUntil } from '../../../tools/faults/workers';
import { settles, type Scenario } from './scenario';

/**
 * SIGTERM with messages in flight. With room to drain, every call and event in flight finishes on
 * the stopping worker, once, and it exits 0. With a short `--drain-timeout` (1 s for 4 s handlers, at
 * concurrency 100), every unfinished message is returned to its queue and none is in flight again a
 * second after the worker exited: no long poll left behind took them (issue #10, item 1).
 */
export const sigtermDrain: Scenario = {
  name: 'SIGTERM drain (finish, and drain timeout)',
  async run(ctx) {
    const worker = await ctx.worker('W', ['--wait-time', '2', '--concurrency', '8', '--drain-timeout', '10000']);
    const callTags = Array.from({ length: 8 }, (_, i) => `dr-c${i}`);
    const eventTags = Array.from({ length: 8 }, (_, i) => `dr-e${i}`);
    const calls = callTags.map((tag) => settles(ctx.client.faults.work({ tag, ms: 1500 }, { timeoutMs: 20_000 }), tag));
    await Promise.all(eventTags.map((tag) => ctx.client.faults.job.fire({ tag, ms: 1500, firedAt: Date.now() })));
    await waitUntil(() => ctx.counts('rpc-start').size + ctx.counts('ev-start').size >= 8, 20_000, 50);
    await worker.terminate();
    const summary = worker.stoppedSummary();
    const successor = await ctx.worker('W2', ['--wait-time', '2']);
    ctx.tally.lost += (await Promise.all(calls)).filter((ok) => !ok).length;
    await waitUntil(() => eventTags.every((tag) => ctx.counts('ev-end').has(tag)), 20_000, 200);
    const ends = ctx.counts('ev-end');
    ctx.tally.lost += eventTags.filter((tag) => !ends.has(tag)).length;
    ctx.tally.notes.push(`drain: finished ${String(summary?.finished)}, returned ${String(summary?.returned)}, released ${String(summary?.released)}`);
    await successor.terminate();

    // The drain timeout passes: 30 handlers of 4 s, 1 s to drain.
    const short = await ctx.worker('W3', ['--wait-time', '5', '--concurrency', '100', '--drain-timeout', '1000']);
    const slowTags = Array.from({ length: 30 }, (_, i) => `dt-e${i}`);
    await Promise.all(slowTags.map((tag) => ctx.client.faults.job.fire({ tag, ms: 4000, firedAt: Date.now() })));
    await waitUntil(() => slowTags.every((tag) => ctx.counts('ev-start').has(tag)), 20_000, 50);
    const stopMs = await short.terminate();
    await sleep(1000);
    const { inFlight, visible } = await ctx.queueCounts(ctx.listenerQueue('jobs').queueName);
    // In flight with no worker running: stranded until the visibility timeout.
    ctx.tally.vanished += inFlight;
    await ctx.worker('W4', ['--wait-time', '2', '--concurrency', '40']);
    await waitUntil(() => slowTags.every((tag) => ctx.counts('ev-end').has(tag)), 30_000, 200);
    const allEnds = ctx.counts('ev-end');
    ctx.tally.lost += slowTags.filter((tag) => !allEnds.has(tag)).length;
    ctx.tally.runTwice += [...allEnds.values()].filter((n) => n > 1).length + [...ctx.counts('rpc-start').values()].filter((n) => n > 1).length;
    const returned = short.stoppedSummary();
    ctx.tally.notes.push(
      `drain timeout: returned ${String(returned?.returned)}, released ${String(returned?.released)}, stop took ${stopMs} ms; ` +
        `1 s after exit ${visible} visible, ${inFlight} in flight`,
    );
  },
};
