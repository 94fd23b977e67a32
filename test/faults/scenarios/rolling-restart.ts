import { sleep, waitUntil } from '../../../tools/faults/workers';
import { settles, type Scenario } from './scenario';

/** Long-poll wait of the workers: one long-poll interval, the most an event may be delayed by a restart. */
const WAIT_SECONDS = 5;

/**
 * Issue #10, item 1: two workers serve calls and events under steady load while each in turn is
 * stopped with SIGTERM and replaced. No call may be lost (the caller times out) or run twice, and
 * no event may wait longer than one long-poll interval: a stopping worker must not strand what its
 * long polls still receive.
 */
export const rollingRestart: Scenario = {
  name: 'rolling restart, 2 workers under load',
  async run(ctx) {
    const args = ['--wait-time', String(WAIT_SECONDS), '--concurrency', '16'];
    const [first, second] = [await ctx.worker('A', args), await ctx.worker('B', args)];
    const calls: Promise<boolean>[] = [];
    const events: string[] = [];
    let fireFailures = 0;
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading; i += 1) {
        const tag = `rr-c${i}`;
        calls.push(settles(ctx.client.faults.work({ tag, ms: 200 }, { timeoutMs: 8000 }), tag));
        const event = `rr-e${i}`;
        await ctx.client.faults.job.fire({ tag: event, ms: 200, firedAt: Date.now() }).then(
          () => events.push(event),
          () => (fireFailures += 1),
        );
        await sleep(60);
      }
    })();
    await sleep(1500);
    const stops = [await first.terminate()];
    await ctx.worker('A2', args);
    stops.push(await second.terminate());
    await ctx.worker('B2', args);
    await sleep(1500);
    loading = false;
    await load;
    const answered = await Promise.all(calls);
    const handled = () => ctx.counts('ev-end');
    await waitUntil(() => events.every((tag) => handled().has(tag)), 20_000, 200);

    const ends = handled();
    const records = ctx.records();
    ctx.tally.lost += answered.filter((ok) => !ok).length + events.filter((tag) => !ends.has(tag)).length + fireFailures;
    ctx.tally.runTwice += [...ctx.counts('rpc-start').values(), ...ends.values()].filter((n) => n > 1).length;
    const lateCalls = records.filter((r) => r.k === 'rpc-start' && r.t > (r.due ?? Infinity)).length;
    const firstStart = new Map<string, number>();
    for (const r of records) if (r.k === 'ev-start' && !firstStart.has(r.tag)) firstStart.set(r.tag, r.t - (r.due ?? r.t));
    const lateEvents = [...firstStart.values()].filter((delay) => delay > WAIT_SECONDS * 1000).length;
    ctx.tally.late += lateCalls + lateEvents;
    const released = ctx.workers.reduce((n, w) => n + Number(w.stoppedSummary()?.released ?? 0), 0);
    ctx.tally.notes.push(
      `${calls.length} calls, ${events.length} events; stops took ${stops.map((ms) => `${(ms / 1000).toFixed(1)}s`).join(', ')}; ` +
        `${released} messages received by polls under way at stop went back unstarted; slowest event start ${Math.max(0, ...firstStart.values())} ms`,
    );
  },
};
