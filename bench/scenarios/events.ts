/**
 * Scenario 3 — events end to end: 5,000 events fired from this process (a burst, batched by
 * fire()), all handled by one no-op listener in `lightbus run --local` (a child process); from the
 * first fire to the last event handled. Also records the worker's memory (idle and peak).
 */
import { uniqueBusName } from '../lib/aws';
import { createBenchBus, type BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { rate, sleep } from '../lib/stats';
import { PING_NOTE } from '../fixtures/bench-api';
import { memoryOf, startLightbusWorker } from '../lib/worker-child';
import { queueDepth } from '../lib/aws';

const MB = 2 ** 20;

export async function eventsScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const total = ctx.quick ? 1000 : 5000;
  const warmup = 200;
  const busName = uniqueBusName('events');
  const worker = await startLightbusWorker(busName, [], { BENCH_COUNT_CALLS: '1' });
  const bus = createBenchBus(busName);
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
    const start = Date.now();
    await fireAll(total);
    const firedAt = Date.now();
    const handled = await done;
    const elapsed = handled.lastAt - start;
    const perSecond = rate(total, elapsed);
    const peak = await memoryOf(worker);
    const queueUrl = await bus.transports.queues.locator.url(`${busName}-listen-bench-counter`);
    const left = await queueDepth(ctx.raw, queueUrl);
    ctx.log(`  ${total} events end to end: ${perSecond} events/s (fired in ${firedAt - start} ms, last handled after ${elapsed} ms)`);
    ctx.log(`  worker RSS idle ${(idle.rss / MB).toFixed(0)} MB, peak ${(peak.peakRss / MB).toFixed(0)} MB`);
    const workerCalls = (peak as { calls?: Record<string, number> }).calls ?? {};
    const beforeCalls = (before as { calls?: Record<string, number> }).calls ?? {};
    const callsDuringRun = Object.fromEntries(Object.entries(workerCalls).map(([k, v]) => [k, v - (beforeCalls[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    return {
      id: 'events',
      title: 'Events end to end',
      status: 'ok',
      figures: [
        figure('5,000 events fired → handled by one listener', perSecond, 'events/s', 'higher', undefined, { text: '≥ 2,400 events/s (Lightbus on Redis ≈ 900/s, published)', absolute: 2400 }),
        figure('worker RSS, idle', Math.round(idle.rss / MB), 'MB', 'lower'),
        figure('worker RSS, peak during this scenario', Math.round(peak.peakRss / MB), 'MB', 'lower'),
      ],
      details: {
        events: total,
        warmup,
        busName,
        firingTookMs: firedAt - start,
        lastHandledAfterMs: elapsed,
        listenerQueueAfter: left,
        workerCallsDuringRun: callsDuringRun,
        memoryMb: { idle: idle.rss / MB, beforeRun: before.rss / MB, peak: peak.peakRss / MB },
      },
      notes: [
        `One fresh bus; ${warmup} warm-up events first. The worker is \`lightbus run --local\` with its defaults, a separate process; fire() runs here as a burst (Promise.all), so firing and draining overlap.`,
        'Memory: RSS of the worker process sampled every 100 ms; idle is 1 s after start, peak is the highest sample during the timed run.',
      ],
    };
  } finally {
    await bus.close();
    await worker.stop();
  }
}

async function expect(worker: Awaited<ReturnType<typeof startLightbusWorker>>, count: number): Promise<void> {
  const ack = worker.next((m) => m.type === 'expecting', 5000, 'expect ack');
  worker.send({ type: 'expect', count });
  await ack;
}
