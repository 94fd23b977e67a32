import { randomBytes } from 'node:crypto';
import { rpcBody } from '../../../tools/faults/context';
import { sleep, waitUntil } from '../../../tools/faults/workers';
import type { Scenario } from './scenario';

/**
 * Duplicate deliveries of one call id (SQS at least once, a producer's retry): five copies at once
 * to two workers, and two more after the call completed. It runs once, its result is written, and
 * every other copy is accounted for (skipped as a duplicate, in the log).
 */
export const duplicates: Scenario = {
  name: 'duplicate deliveries of one call id',
  async run(ctx) {
    await ctx.worker('A', ['--wait-time', '2']);
    await ctx.worker('B', ['--wait-time', '2']);
    const id = `dup-${randomBytes(6).toString('hex')}`;
    const tag = 'dup-call';
    const body = rpcBody(ctx.resultsTable, { id, parameters: { tag, ms: 800 } });
    await Promise.all(Array.from({ length: 5 }, () => ctx.sendRaw(ctx.rpcQueue, body)));
    const answered = async () => (await ctx.client.transports.results.readMany(ctx.resultsTable, [id])).get(id)?.state === 'ok';
    if (!(await waitUntil(answered, 15_000, 200))) ctx.tally.lost += 1;
    await Promise.all(Array.from({ length: 2 }, () => ctx.sendRaw(ctx.rpcQueue, body)));
    const skipped = () =>
      ctx.workers.flatMap((w) => w.logs).filter((l) => l.message === 'Skipped a duplicate delivery of an RPC call' && l.callId === id).length;
    await waitUntil(() => skipped() >= 6, 15_000, 200);
    await sleep(300);
    const runs = ctx.counts('rpc-start').get(tag) ?? 0;
    ctx.tally.runTwice += runs > 1 ? 1 : 0;
    ctx.tally.vanished += Math.max(0, 7 - runs - skipped());
    const left = await ctx.queueCounts(ctx.rpcQueue);
    ctx.tally.vanished += left.visible + left.inFlight;
    ctx.tally.notes.push(`7 copies: ran ${runs}×, ${skipped()} skipped as duplicates`);
  },
};
