import { execFileSync } from 'node:child_process';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventFireError, lightbus, silentLogger } from '../../../runtime';
import { emulatorEnv, startEmulator } from '../../../tools/emulator';
import { spawnWorker, sleep, waitUntil } from '../../../tools/faults/workers';
import { FAULT_LISTENERS, faultApi } from '../fault-api';
import type { Scenario } from './scenario';

/** Each call's and confirmed fire's deadline during the freeze. */
const DEADLINE_MS = 2_000;
/** Settling later than deadline + this counts as late: a wide margin on a shared machine (the bound, not a speed). */
const MARGIN_MS = 3_000;
const CALLS = 3;
const FIRES = 3;

/**
 * The endpoint frozen with SIGSTOP (client deadlines): a private emulator (the suite's shared one
 * keeps serving the other scenarios) is stopped, so every AWS call hangs. Calls and confirmed
 * fires made meanwhile must each settle by their deadline. Resumed, each fire that failed is sent
 * again under its error's event id (`fire(p, { eventId })`); the exactly-once listener `once` must
 * run each event once, however many copies arrive (the frozen attempt may have got through too).
 */
export const frozenEndpoint: Scenario = {
  name: 'endpoint frozen with SIGSTOP (client deadlines)',
  async run(ctx) {
    const emulator = await startEmulator({ installIfMissing: false });
    const pid = listenerPid(emulator.port);
    let frozen = false;
    const client = lightbus.create({
      busName: ctx.busName,
      serviceName: 'faults',
      apis: [faultApi],
      logger: silentLogger,
      aws: { endpoint: emulator.endpoint, region: emulator.region },
      apiSettings: { faults: { eventFireTimeoutMs: DEADLINE_MS } },
    });
    // Registered so that this client may fire the faults events (it is their authoritative service).
    client.register(faultApi, { work: () => '', hang: () => '' });
    // Declared only so that its topology names the listener's queue; this client never consumes.
    client.faults.once.listen(() => undefined, FAULT_LISTENERS.once);
    try {
      const worker = await spawnWorker('F', {
        busName: ctx.busName,
        recordFile: ctx.recordFile,
        env: emulatorEnv(emulator.endpoint, emulator.region),
        args: ['--wait-time', '1'],
      });
      ctx.workers.push(worker);
      // Warm, as in a running service: queue URLs known, connections open.
      await client.faults.work({ tag: 'warm', ms: 1 }, { timeoutMs: 20_000 });

      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const tags = Array.from({ length: FIRES }, () => `frozen-${randomBytes(4).toString('hex')}`);
      const settled = await Promise.all([
        ...Array.from({ length: CALLS }, (_, i) => timed(() => client.faults.work({ tag: `frozen-call-${i}`, ms: 1 }, { timeoutMs: DEADLINE_MS }))),
        ...tags.map((tag) => timed(() => client.faults.once.fire({ tag }, { delivery: 'confirmed' }))),
      ]);
      process.kill(pid, 'SIGCONT');
      frozen = false;
      ctx.tally.late += settled.filter((s) => s.ms > DEADLINE_MS + MARGIN_MS).length;
      ctx.tally.notes.push(`settled in ${settled.map((s) => s.ms).join(', ')} ms (deadline ${DEADLINE_MS} ms)`);

      // Resumed: each fire again under its id (a failed fire's EventFireError carries it).
      const fires = settled.slice(CALLS);
      const eventIds = fires.map((f) => (f.error instanceof EventFireError ? f.error.eventId : undefined) ?? randomUUID());
      await Promise.all(tags.map((tag, i) => client.faults.once.fire({ tag }, { eventId: eventIds[i]!, delivery: 'confirmed' })));
      const runs = () => ctx.counts('once-run');
      if (!(await waitUntil(() => tags.every((t) => (runs().get(t) ?? 0) > 0), 20_000, 200))) {
        ctx.tally.lost += tags.filter((t) => (runs().get(t) ?? 0) === 0).length;
      }
      // Let every copy (the retry's, and the frozen attempt's if it got through) be handled.
      const queue = client.topology().listeners.find((l) => l.listenerName === 'once')!.queueName;
      const empty = async () => {
        const url = await client.transports.queues.locator.url(queue);
        const out = await client.transports.clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) === 0;
      };
      if (!(await waitUntil(empty, 20_000, 200))) ctx.tally.vanished += 1;
      await sleep(300);
      ctx.tally.runTwice += tags.filter((t) => (runs().get(t) ?? 0) > 1).length;
      const skipped = worker.logs.filter((l) => l.message === 'Skipped an event this exactly-once listener already handled').length;
      ctx.tally.notes.push(`${FIRES} events fired frozen, again after: each ran ${tags.map((t) => runs().get(t) ?? 0).join('/')}×, ${skipped} copies skipped`);
      // Stopped while its emulator still answers (its drain talks to it); the suite counts a crash.
      await worker.terminate();
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      await client.close().catch(() => undefined);
      await emulator.stop().catch(() => undefined);
    }
  },
};

async function timed(operation: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await operation().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

/** The pid of the process listening on `port` (the emulator's gateway), to freeze it. */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
  const match = /pid=(\d+)/.exec(out);
  if (!match) throw new Error(`no process found listening on port ${port}: ${out}`);
  return Number(match[1]);
}
