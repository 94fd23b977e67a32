import { rpcBody } from '../../../tools/faults/context';
import { sleep, waitUntil } from '../../../tools/faults/workers';
import { settles, type Scenario } from './scenario';

/**
 * Issue #10, item 3: a `"v": 2` copy carrying the id of a call that is still running must not
 * overwrite the call's claim (its caller would get MALFORMED_MESSAGE for a call that ran, and retry
 * it), nor, arriving later, the call's result. Answering a message that cannot be parsed writes
 * only where the call has no item yet.
 */
export const malformedCopy: Scenario = {
  name: "malformed copy of a running call's id",
  async run(ctx) {
    await ctx.worker('W', ['--wait-time', '2']);
    const tag = 'mc-running';
    const call = settles(ctx.client.faults.work({ tag, ms: 2500 }, { timeoutMs: 15_000 }), tag);
    await waitUntil(() => ctx.records().some((r) => r.k === 'rpc-start' && r.tag === tag), 10_000);
    const callId = ctx.records().find((r) => r.k === 'rpc-start' && r.tag === tag)?.id;
    if (callId === undefined) throw new Error('The call never started');
    await ctx.sendRaw(ctx.rpcQueue, rpcBody(ctx.resultsTable, { v: 2, id: callId }));
    if (!(await call)) ctx.tally.lost += 1;
    // After the result: a malformed copy must not overwrite it either.
    await ctx.sendRaw(ctx.rpcQueue, rpcBody(ctx.resultsTable, { v: 2, id: callId }));
    const answered = () =>
      ctx.workers.flatMap((w) => w.logs).filter((l) => l.message === 'Answered a malformed RPC call with an error' && l.callId === callId).length;
    // Each copy must at least be logged (never silence).
    if (!(await waitUntil(() => answered() === 2, 10_000))) ctx.tally.vanished += 2 - answered();
    await sleep(300);
    const stored = (await ctx.client.transports.results.readMany(ctx.resultsTable, [callId])).get(callId);
    if (stored?.state !== 'ok') ctx.tally.lost += 1;
    ctx.tally.runTwice += [...ctx.counts('rpc-start').values()].filter((n) => n > 1).length;
    ctx.tally.notes.push(`the running call's result after two malformed copies: ${stored?.state ?? 'none'}`);
  },
};
