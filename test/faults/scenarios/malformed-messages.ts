import { MALFORMED_CASES, type MalformedCase } from '../malformed-cases';
import { sleep, waitUntil, type LogLine } from '../../../tools/faults/workers';
import { settles, type Scenario } from './scenario';

interface Sent {
  readonly kind: MalformedCase;
  readonly messageId: string;
  /** The call id or the event's tag, when the body has one: what the log or the records name. */
  readonly callId: string | undefined;
  readonly tag: string | undefined;
}

/** The id and tag a body carries, if it can be read at all. */
function identify(body: string): { callId: string | undefined; tag: string | undefined } {
  try {
    const json = JSON.parse(body) as { id?: unknown; parameters?: { tag?: unknown }; detail?: { parameters?: { tag?: unknown } } };
    const tag = json?.parameters?.tag ?? json?.detail?.parameters?.tag;
    return { callId: typeof json?.id === 'string' ? json.id : undefined, tag: typeof tag === 'string' ? tag : undefined };
  } catch {
    return { callId: undefined, tag: undefined };
  }
}

/** How a bad message ended, from the worker's logs and records; undefined: silence. */
function outcome(sent: Sent, logs: readonly LogLine[], ran: ReadonlySet<string>): string | undefined {
  const about = logs.filter((l) => l.messageId === sent.messageId || (sent.callId !== undefined && l.callId === sent.callId));
  if (about.some((l) => l.message === 'Moved a message to the dead-letter queue')) return 'dead-letter queue';
  if (about.some((l) => /caller gets|Answered a malformed/.test(String(l.message)))) return 'error result';
  if (sent.tag !== undefined && ran.has(sent.tag)) return 'ran';
  if (about.length > 0) return `log: ${String(about[0]!.message)}`;
  return undefined;
}

/**
 * At least 50 kinds of bad message on a request queue and a listener queue (malformed-cases.ts).
 * Each must end in the dead-letter queue, an error result or a log line (a valid body under odd
 * attributes simply runs); the worker must not crash, and must serve calls afterwards.
 */
export const malformedMessages: Scenario = {
  name: `${MALFORMED_CASES.length} kinds of malformed message`,
  async run(ctx) {
    const worker = await ctx.worker('W', ['--wait-time', '2']);
    const sent: Sent[] = [];
    let refused = 0;
    for (const kind of MALFORMED_CASES) {
      const body = kind.body(ctx.resultsTable);
      const queue = kind.queue === 'rpc' ? ctx.rpcQueue : ctx.listenerQueue('jobs').queueName;
      try {
        const messageId = await ctx.sendRaw(queue, body, kind.attributes);
        sent.push({ kind, messageId, ...identify(body) });
      } catch {
        refused += 1; // the queue itself refused it: it never reaches a worker
      }
    }
    const ran = () => new Set([...ctx.counts('rpc-start').keys(), ...ctx.counts('ev-start').keys()]);
    const unaccounted = () => sent.filter((s) => outcome(s, worker.logs, ran()) === undefined);
    await waitUntil(() => unaccounted().length === 0, 30_000, 250);
    await sleep(500);
    const silent = unaccounted();
    ctx.tally.vanished += silent.length;
    if (!(await settles(ctx.client.faults.work({ tag: 'probe', ms: 1 }, { timeoutMs: 8000 }), 'probe'))) ctx.tally.crashed += 1;
    const byOutcome = new Map<string, number>();
    const ranNow = ran();
    for (const s of sent) {
      const how = (outcome(s, worker.logs, ranNow) ?? 'SILENT').replace(/^log: .*retried.*/, 'log: retried (SQS redrive dead-letters it)');
      byOutcome.set(how, (byOutcome.get(how) ?? 0) + 1);
    }
    ctx.tally.notes.push(
      `${sent.length} delivered (${refused} refused by the queue): ${[...byOutcome].map(([how, n]) => `${n} ${how}`).join('; ')}`,
      ...silent.map((s) => `SILENT: ${s.kind.name}`),
    );
  },
};
