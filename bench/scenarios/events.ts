/**
 * Scenario 3 — events end to end: 5,000 events fired from this process (a burst, batched by
 * fire()), all handled by one no-op listener in `lightbus run --local` (a child process); from the
 * first fire to the last event handled. Also records the worker's memory (idle and peak).
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

/** The raw-SDK end to end: events/s from the first PutEvents to the last message deleted by the raw consumer. */
async function rawEndToEnd(raw: RawClients, total: number, recorder: ProxyChild | undefined): Promise<{ perSecond: number; firedInMs: number; calls?: RunCallStats }> {
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
      const start = Date.now();
      await fire(total);
      const firedInMs = Date.now() - start;
      const { lastAt } = await drained;
      const calls = recorder ? callStats(within((await recorder.take()).records, start, lastAt)) : undefined;
      await recorder?.record(false);
      return { perSecond: rate(total, lastAt - start), firedInMs, ...(calls ? { calls } : {}) };
    } finally {
      await consumer.stop();
    }
  } finally {
    await topologyOwner.close();
  }
}

const MB = 2 ** 20;

export async function eventsScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const total = ctx.quick ? 1000 : 5000;
  const warmup = 200;
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
    const callerBefore = Object.fromEntries(callerCalls);
    // AWS-like mode: the latency proxy is in the path, so its records show each side's calls.
    const recorder = ctx.mode === 'aws' ? ctx.recorder : undefined;
    await recorder?.record(true);
    const start = Date.now();
    await fireAll(total);
    const firedAt = Date.now();
    const handled = await done;
    const lightbusCalls = recorder ? callStats(within((await recorder.take()).records, start, handled.lastAt)) : undefined;
    await recorder?.record(false);
    const elapsed = handled.lastAt - start;
    const perSecond = rate(total, elapsed);
    const peak = await memoryOf(worker);
    const queueUrl = await bus.transports.queues.locator.url(`${busName}-listen-bench-counter`);
    const left = await queueDepth(ctx.raw, queueUrl);
    ctx.log(`  ${total} events end to end: ${perSecond} events/s (fired in ${firedAt - start} ms, last handled after ${elapsed} ms)`);
    ctx.log(`  worker RSS idle ${(idle.rss / MB).toFixed(0)} MB, peak ${(peak.peakRss / MB).toFixed(0)} MB`);
    await worker.stop();
    const rawRun = await rawEndToEnd(ctx.raw, total, recorder);
    ctx.log(`  raw SDK end to end (PutEvents(10) ×32 in flight → 8 raw pollers): ${rawRun.perSecond} events/s (fired in ${rawRun.firedInMs} ms)`);
    if (lightbusCalls && rawRun.calls) {
      ctx.log(`  calls seen by the proxy, lightbus: ${brief(lightbusCalls)}`);
      ctx.log(`  calls seen by the proxy, raw:      ${brief(rawRun.calls)}`);
    }
    const workerCalls = (peak as { calls?: Record<string, number> }).calls ?? {};
    const beforeCalls = (before as { calls?: Record<string, number> }).calls ?? {};
    const callsDuringRun = Object.fromEntries(Object.entries(workerCalls).map(([k, v]) => [k, v - (beforeCalls[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    // Cost per event: PutEvents entries (1 custom event each), EventBridge's delivery to the
    // listener queue (1 SQS request each), and the worker's SQS calls (counted by command).
    const putEventsCalls = (callerCalls.get('PutEventsCommand') ?? 0) - (callerBefore.PutEventsCommand ?? 0);
    const units: UnitCounts = { 'eventbridge.PutEvents': { requests: putEventsCalls, units: 0, unit: 'events' } };
    for (const [command, n] of Object.entries(callsDuringRun)) {
      const op = command.replace(/Command$/, '');
      units[`sqs.${op}`] = { requests: n as number, units: n as number, unit: 'requests' };
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
          { name: 'raw SDK: PutEvents(10) ×32 in flight → same rule and queue → 8 raw pollers (own process)', value: rawRun.perSecond },
          { text: '≥ 2,400 events/s (Lightbus on Redis ≈ 900/s, published)', absolute: 2400 },
        ),
        figure('AWS cost per event (fire → handled)', cost.usdPerMillion, '$/M events', 'lower', undefined, undefined,
          `${cost.eventBridgeEvents} EventBridge event + ${cost.sqsRequests} SQS requests per event (incl. EventBridge's delivery to the queue), ${cost.apiRequests} API requests per event made by lightbus (PutEvents, Receive, DeleteMessageBatch); list prices in bench/README.md.`),
        figure('worker RSS, idle', Math.round(idle.rss / MB), 'MB', 'lower'),
        figure('worker RSS, peak during this scenario', Math.round(peak.peakRss / MB), 'MB', 'lower'),
      ],
      details: {
        events: total,
        warmup,
        busName,
        firingTookMs: firedAt - start,
        rawBaseline: rawRun,
        ...(lightbusCalls ? { callsSeenByProxy: lightbusCalls } : {}),
        lastHandledAfterMs: elapsed,
        listenerQueueAfter: left,
        workerCallsDuringRun: callsDuringRun,
        costPerEvent: cost,
        memoryMb: { idle: idle.rss / MB, beforeRun: before.rss / MB, peak: peak.peakRss / MB },
      },
      notes: [
        `One fresh bus; ${warmup} warm-up events first. The worker is \`lightbus run --local\` with its defaults, a separate process; fire() runs here as a burst (Promise.all), so firing and draining overlap.`,
        'Baseline: the same 5,000 events sent with hand-batched PutEvents (10 entries, 32 calls in flight) onto a bus provisioned with the same rule and listener queue (and its dead-letter queue), drained by a raw consumer process (8 pollers, Receive(10) + DeleteMessageBatch, no parsing): what the emulator allows without lightbus. MiniStack rebuilds the whole queue list on every receive (dead-letter sweep) and on every deleted entry, so this path slows as the queue deepens while firing outpaces draining.',
        'Memory: RSS of the worker process sampled every 100 ms; idle is 1 s after start, peak is the highest sample during the timed run.',
      ],
    };
  } finally {
    await bus.close();
    await worker.stop(); // a no-op when the run got as far as its own stop
  }
}

/** The calls made from the first fire to the last event handled (not a poll of an earlier process ending late). */
function within(records: readonly ProxyRecord[], from: number, to: number): ProxyRecord[] {
  return records.filter((r) => r.t0 >= from && r.t0 <= to);
}

/** One line per side: each operation's calls, load per call, p50 round trip and calls under way. */
function brief(stats: RunCallStats): string {
  return Object.entries(stats.byOperation)
    .map(([op, o]) => `${op.split('.')[1]} ${o.calls}×${o.perCall ?? '-'} p50 ${Math.round(o.latencyMs.p50)} ms, ${o.meanInFlight} in flight (max ${o.maxInFlight})`)
    .join('; ');
}

async function expect(worker: Awaited<ReturnType<typeof startLightbusWorker>>, count: number): Promise<void> {
  const ack = worker.next((m) => m.type === 'expecting', 5000, 'expect ack');
  worker.send({ type: 'expect', count });
  await ack;
}
