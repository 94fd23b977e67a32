/**
 * Scenario 3 — events end to end: 5,000 events fired from this process (a burst, batched by
 * fire()), all handled by one no-op listener in `lightbus run --local` (a child process); from the
 * first fire to the last event handled. Also records the worker's memory (idle and peak). Each
 * side runs twice, lightbus / raw / raw / lightbus, and is reported as the mean of its rounds.
 * Baseline: the same path with the raw SDK and no lightbus code — PutEvents(10) with 32 calls in
 * flight onto the same topology (rule → listener queue with its dead-letter queue), drained by a
 * raw consumer process with 8 pollers (Receive(10) + DeleteMessageBatch): the emulator's ceiling.
 */
import { countCalls } from '../lib/call-counter';
import { costPerItem } from '../lib/cost';
import type { ProxyRecord, UnitCounts } from '../../tools/latency-proxy';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { queueDepth, uniqueBusName, type RawClients } from '../lib/aws';
import { spawnNode } from '../lib/child';
import { createBenchBus, provision, type BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { chunk, pool, rate, sleep } from '../lib/stats';
import { PING_NOTE } from '../fixtures/bench-api';
import { memoryOf, startLightbusWorker } from '../lib/worker-child';
import { rawPingEntry } from '../lib/raw-sdk';
import { callStats, type RunCallStats } from '../lib/call-stats';
import type { ProxyChild } from '../lib/latency-proxy';
import { cpuMsOf, emulatorPid, ownCpuMs } from '../lib/process-cpu';

/** The raw-SDK end to end: events/s from the first PutEvents to the last message deleted by the raw consumer. */
async function rawEndToEnd(raw: RawClients, total: number, recorder: ProxyChild | undefined): Promise<{ perSecond: number; firedInMs: number; cpuMs: CpuSplit; calls?: RunCallStats }> {
  const busName = uniqueBusName('events-raw');
  const topologyOwner = createBenchBus(busName, { onPing: () => undefined });
  try {
    await provision(topologyOwner); // the same bus, rule and listener queue (with its DLQ) lightbus uses
    const queueUrl = await topologyOwner.transports.queues.locator.url(`${busName}-listen-bench-counter`);
    const fire = async (count: number) => {
      const batches = chunk(Array.from({ length: count }, (_, n) => rawPingEntry(busName, n)), 10);
      await pool(batches.length, 32, async (i) => {
        const out = await raw.eventBridge.send(new PutEventsCommand({ Entries: batches[i] }));
        if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
      });
    };
    const warmup = spawnNode([require.resolve('../children/raw-drain-worker.ts')], { QUEUE_URL: queueUrl, TOTAL: '200' });
    await warmup.next((m) => m.type === 'ready', 30_000, 'the raw consumer');
    const warmed = warmup.next((m) => m.type === 'drained', 60_000, 'the raw warm-up');
    await fire(200);
    await warmed;
    await warmup.stop();
    // The emulator keeps serving a killed client's long polls until they time out (1 s): one that
    // took messages now would hide them for the visibility timeout.
    await sleep(1500);
    const consumer = spawnNode([require.resolve('../children/raw-drain-worker.ts')], { QUEUE_URL: queueUrl, TOTAL: String(total) });
    try {
      await consumer.next((m) => m.type === 'ready', 30_000, 'the raw consumer');
      await sleep(500);
      const drained = consumer.next<{ lastAt: number }>((m) => m.type === 'drained', 120_000, `${total} raw events drained`);
      await recorder?.record(true);
      const cpuBefore = cpuNow(consumer.process.pid);
      const start = Date.now();
      await fire(total);
      const firedInMs = Date.now() - start;
      const { lastAt } = await drained;
      const cpuMs = cpuSplit(cpuBefore, cpuNow(consumer.process.pid));
      const calls = recorder ? callStats(within((await recorder.take()).records, start, lastAt), start) : undefined;
      await recorder?.record(false);
      return { perSecond: rate(total, lastAt - start), firedInMs, cpuMs, ...(calls ? { calls } : {}) };
    } finally {
      await consumer.stop();
    }
  } finally {
    await topologyOwner.close();
  }
}

const MB = 2 ** 20;

/** One timed lightbus round: a fresh bus and `lightbus run --local` worker, warmed up, then `total` events. */
interface LightbusRound {
  readonly busName: string;
  readonly perSecond: number;
  readonly firedInMs: number;
  readonly lastHandledAfterMs: number;
  readonly cpuMs: CpuSplit;
  readonly calls?: RunCallStats;
  readonly listenerQueueAfter: { visible: number; inFlight: number };
  /** The worker's calls during the timed run, by command. */
  readonly workerCalls: Record<string, number>;
  readonly putEventsCalls: number;
  readonly memory: { idle: number; beforeRun: number; peak: number };
}

async function lightbusEndToEnd(ctx: BenchContext, total: number, warmup: number, recorder: ProxyChild | undefined): Promise<LightbusRound> {
  const busName = uniqueBusName('events');
  const worker = await startLightbusWorker(busName, [], { BENCH_COUNT_CALLS: '1' });
  const bus = createBenchBus(busName);
  const callerCalls = countCalls(bus.transports.clients);
  try {
    await sleep(1000);
    const idle = await memoryOf(worker);
    const fireAll = (count: number) => Promise.all(Array.from({ length: count }, (_, n) => bus.bench.ping.fire({ n, note: PING_NOTE })));

    const warmed = worker.next((m) => m.type === 'handled', 60_000, 'the warm-up events');
    await expect(worker, warmup);
    await fireAll(warmup);
    await warmed;
    worker.send({ type: 'resetPeak' });
    await worker.next((m) => m.type === 'peakReset', 5000, 'peak reset');
    const before = await memoryOf(worker);

    const done = worker.next<{ firstAt: number; lastAt: number }>((m) => m.type === 'handled', 120_000, `${total} events handled`);
    await expect(worker, total);
    const putEventsBefore = callerCalls.get('PutEventsCommand') ?? 0;
    await recorder?.record(true);
    const cpuBefore = cpuNow(worker.process.pid);
    const start = Date.now();
    await fireAll(total);
    const firedAt = Date.now();
    const handled = await done;
    const cpuMs = cpuSplit(cpuBefore, cpuNow(worker.process.pid));
    const calls = recorder ? callStats(within((await recorder.take()).records, start, handled.lastAt), start) : undefined;
    await recorder?.record(false);
    const elapsed = handled.lastAt - start;
    const peak = await memoryOf(worker);
    const queueUrl = await bus.transports.queues.locator.url(`${busName}-listen-bench-counter`);
    const listenerQueueAfter = await queueDepth(ctx.raw, queueUrl);
    const after = (peak as { calls?: Record<string, number> }).calls ?? {};
    const earlier = (before as { calls?: Record<string, number> }).calls ?? {};
    const workerCalls = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (earlier[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    return {
      busName,
      perSecond: rate(total, elapsed),
      firedInMs: firedAt - start,
      lastHandledAfterMs: elapsed,
      cpuMs,
      ...(calls ? { calls } : {}),
      listenerQueueAfter,
      workerCalls,
      putEventsCalls: (callerCalls.get('PutEventsCommand') ?? 0) - putEventsBefore,
      memory: { idle: idle.rss / MB, beforeRun: before.rss / MB, peak: peak.peakRss / MB },
    };
  } finally {
    await bus.close();
    await worker.stop();
  }
}

type RawRound = Awaited<ReturnType<typeof rawEndToEnd>>;

/** The mean of the rounds' rates: with rounds in A B B A order, a load that rises or falls steadily weighs on both sides alike. */
function meanRate(rounds: readonly { perSecond: number }[]): number {
  return Math.round(rounds.reduce((sum, r) => sum + r.perSecond, 0) / rounds.length);
}

export async function eventsScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const total = ctx.quick ? 1000 : 5000;
  const warmup = 200;
  // AWS-like mode: the latency proxy is in the path, so its records show each side's calls.
  const recorder = ctx.mode === 'aws' ? ctx.recorder : undefined;
  // Lightbus, raw, raw, lightbus: the machine's load drifts over a minute (other processes, the
  // emulator's growing resource lists), and a fixed order gave it to one side.
  await warmFiring(ctx.raw);
  const lightbusRounds: LightbusRound[] = [];
  const rawRounds: RawRound[] = [];
  for (const side of ['lightbus', 'raw', 'raw', 'lightbus'] as const) {
    if (side === 'lightbus') {
      const round = await lightbusEndToEnd(ctx, total, warmup, recorder);
      lightbusRounds.push(round);
      ctx.log(`  ${total} events end to end: ${round.perSecond} events/s (fired in ${round.firedInMs} ms, last handled after ${round.lastHandledAfterMs} ms); CPU ms worker / firing / emulator ${cpuText(round.cpuMs)}`);
      if (round.calls) ctx.log(`    calls seen by the proxy: ${brief(round.calls)}`);
    } else {
      const round = await rawEndToEnd(ctx.raw, total, recorder);
      rawRounds.push(round);
      ctx.log(`  raw SDK end to end (PutEvents(10) ×32 in flight → 8 raw pollers): ${round.perSecond} events/s (fired in ${round.firedInMs} ms); CPU ms consumer / firing / emulator ${cpuText(round.cpuMs)}`);
      if (round.calls) ctx.log(`    calls seen by the proxy: ${brief(round.calls)}`);
    }
  }
  const first = lightbusRounds[0] as LightbusRound;
  const perSecond = meanRate(lightbusRounds);
  const rawPerSecond = meanRate(rawRounds);
  ctx.log(`  mean of the rounds: lightbus ${perSecond} events/s, raw ${rawPerSecond} events/s; worker RSS idle ${first.memory.idle.toFixed(0)} MB, peak ${first.memory.peak.toFixed(0)} MB`);
  // Cost per event (first round): PutEvents entries (1 custom event each), EventBridge's delivery
  // to the listener queue (1 SQS request each), and the worker's SQS calls (counted by command).
  const units: UnitCounts = { 'eventbridge.PutEvents': { requests: first.putEventsCalls, units: 0, unit: 'events' } };
  for (const [command, n] of Object.entries(first.workerCalls)) {
    const op = command.replace(/Command$/, '');
    units[`sqs.${op}`] = { requests: n, units: n, unit: 'requests' };
  }
  const cost = costPerItem(units, total, { sqsRequests: total, eventBridgeEvents: total });
  ctx.log(`  cost per event: ${JSON.stringify(cost)}`);
  return {
    id: 'events',
    title: 'Events end to end',
    status: 'ok',
    figures: [
      figure(
        '5,000 events fired → handled by one listener',
        perSecond,
        'events/s',
        'higher',
        { name: 'raw SDK: PutEvents(10) ×32 in flight → same rule and queue → 8 raw pollers (own process)', value: rawPerSecond },
        { text: '≥ 2,400 events/s (Lightbus on Redis ≈ 900/s, published)', absolute: 2400 },
      ),
      figure('AWS cost per event (fire → handled)', cost.usdPerMillion, '$/M events', 'lower', undefined, undefined,
        `${cost.eventBridgeEvents} EventBridge event + ${cost.sqsRequests} SQS requests per event (incl. EventBridge's delivery to the queue), ${cost.apiRequests} API requests per event made by lightbus (PutEvents, Receive, DeleteMessageBatch); list prices in bench/README.md.`),
      figure('worker RSS, idle', Math.round(first.memory.idle), 'MB', 'lower'),
      figure('worker RSS, peak during this scenario', Math.round(Math.max(...lightbusRounds.map((r) => r.memory.peak))), 'MB', 'lower'),
    ],
    details: {
      events: total,
      warmup,
      order: 'lightbus, raw, raw, lightbus; the figures are the means of each side\'s two rounds',
      lightbusRounds,
      rawRounds,
      workerCallsDuringRun: first.workerCalls,
      costPerEvent: cost,
    },
    notes: [
      `Each side runs twice, in the order lightbus, raw, raw, lightbus, and its figure is the mean of its two rounds: on this shared machine the load drifts over the minute the scenario takes, and with a fixed order one side got the quieter half. Before the first round this process fires 1,000 events through each side onto a bus with no rules (JIT and sockets warm on both sides). Each lightbus round: a fresh bus; ${warmup} warm-up events first. The worker is \`lightbus run --local\` with its defaults, a separate process; fire() runs here as a burst (Promise.all), so firing and draining overlap.`,
      `Baseline: the same ${total.toLocaleString('en-US')} events sent with hand-batched PutEvents (10 entries, 32 calls in flight) onto a bus provisioned with the same rule and listener queue (and its dead-letter queue), drained by a raw consumer process (8 pollers, Receive(10) + DeleteMessageBatch, no parsing): what the emulator allows without lightbus. MiniStack rebuilds the whole queue list on every receive (dead-letter sweep) and on every deleted entry, so this path slows as the queue deepens while firing outpaces draining.`,
      'Per round: CPU milliseconds of the consuming process, of this (firing) process and of the emulator; in the AWS-like mode also each side\'s calls as the latency proxy saw them (calls, messages per call, round trip, calls under way).',
      'Memory: RSS of the worker process sampled every 100 ms; idle is 1 s after start (first round), peak is the highest sample during the timed runs.',
    ],
  };
}

/**
 * Warms this process (the JIT of fire() and of the SDK's PutEvents path, which both sides share,
 * and the raw client's sockets) with 1,000 events through each side, onto a bus with no rules (so
 * nothing is delivered). Without it the first lightbus round was this process's first burst: its
 * firing took 1.4–1.8× the CPU of the later round, and the raw rounds, always later, never paid it.
 */
async function warmFiring(raw: RawClients): Promise<void> {
  const busName = uniqueBusName('events-warm');
  const bus = createBenchBus(busName);
  try {
    await provision(bus);
    await Promise.all(Array.from({ length: 1000 }, (_, n) => bus.bench.ping.fire({ n, note: PING_NOTE })));
    const batches = chunk(Array.from({ length: 1000 }, (_, n) => rawPingEntry(busName, n)), 10);
    await pool(batches.length, 32, (i) => raw.eventBridge.send(new PutEventsCommand({ Entries: batches[i] })));
  } finally {
    await bus.close();
  }
}

/** CPU milliseconds consumer / firing / emulator. */
function cpuText(cpu: CpuSplit): string {
  return `${cpu.consumer ?? '?'} / ${cpu.firing} / ${cpu.emulator ?? '?'}`;
}

/**
 * CPU milliseconds of the timed run: the consuming process (worker or raw consumer), this one
 * (firing, and waiting) and the emulator (Linux only; undefined elsewhere). On 2 shared cores the
 * emulator's CPU is what both sides queue for.
 */
interface CpuSplit {
  readonly consumer: number | undefined;
  readonly firing: number;
  readonly emulator: number | undefined;
}

function cpuNow(consumerPid: number | undefined): CpuSplit {
  return { consumer: cpuMsOf(consumerPid), firing: ownCpuMs(), emulator: cpuMsOf(emulatorPid()) };
}

function cpuSplit(before: CpuSplit, after: CpuSplit): CpuSplit {
  const spent = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.round(b - a));
  return { consumer: spent(before.consumer, after.consumer), firing: Math.round(after.firing - before.firing), emulator: spent(before.emulator, after.emulator) };
}

/** The calls made from the first fire to the last event handled (not a poll of an earlier process ending late). */
function within(records: readonly ProxyRecord[], from: number, to: number): ProxyRecord[] {
  return records.filter((r) => r.t0 >= from && r.t0 <= to);
}

/** One line per side: each operation's calls, load per call, p50 round trip and calls under way. */
function brief(stats: RunCallStats): string {
  return Object.entries(stats.byOperation)
    .map(([op, o]) => `${op.split('.')[1]} ${o.calls}×${o.perCall ?? '-'} from +${o.firstAfterMs} ms for ${o.spanMs} ms, p50 ${Math.round(o.latencyMs.p50)} ms, ${o.meanInFlight} in flight (max ${o.maxInFlight})`)
    .join('; ');
}

async function expect(worker: Awaited<ReturnType<typeof startLightbusWorker>>, count: number): Promise<void> {
  const ack = worker.next((m) => m.type === 'expecting', 5000, 'expect ack');
  worker.send({ type: 'expect', count });
  await ack;
}
