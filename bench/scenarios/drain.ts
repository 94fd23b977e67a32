/**
 * Scenario 4 — worker drain: 5,000 queued events, no-op listener. The LightbusWorker (what
 * `lightbus run --local` runs; here in this process, started once the queue is full) against
 * sqs-consumer (one consumer, handleMessage, batchSize 10) and raw ReceiveMessage(10) +
 * DeleteMessageBatch loops with 1 and 8 concurrent pollers. Each contestant drains its own fresh
 * queue holding the same 5,000 EventBridge deliveries.
 */
import { ReceiveMessageCommand as Receive } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { DEFAULT_CONCURRENCY, LightbusWorker } from '../../local';
import { silentLogger } from '../../runtime';
import { createQueue, fillQueue, queueDepth, uniqueBusName, type RawClients } from '../lib/aws';
import { createBenchBus, provision, type BenchBus, type BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { now, rate, waitFor } from '../lib/stats';
import { PING_NOTE } from '../fixtures/bench-api';
import { rawDrainLoops } from '../lib/raw-sdk';

/** The raw loops drain the full queue; elapsed ms. */
async function rawDrainMs(raw: RawClients, queueUrl: string, total: number, pollers: number): Promise<number> {
  const start = now();
  await rawDrainLoops(raw.sqs, queueUrl, total, pollers);
  return now() - start;
}

async function sqsConsumerDrain(raw: RawClients, queueUrl: string, total: number): Promise<number> {
  let processed = 0;
  const consumer = Consumer.create({
    queueUrl,
    sqs: raw.sqs,
    batchSize: 10,
    waitTimeSeconds: 1,
    handleMessage: async (message) => message,
  });
  consumer.on('message_processed', () => {
    processed += 1;
  });
  consumer.on('error', () => undefined);
  const start = now();
  consumer.start();
  await waitFor(() => processed >= total, 120_000, 'sqs-consumer to drain', 5);
  const r = rate(total, now() - start);
  consumer.stop();
  return r;
}

/**
 * LightbusWorker and the 8-poller raw loop (the figure with a goal) each drain this many queues,
 * alternating: lightbus, raw, raw, lightbus. One drain of 5,000 messages lasts a few seconds, so
 * a single run of each measured the machine's moment as much as the code (1.05–1.54× across runs).
 */
const ALTERNATING_RUNS = 2;

/** A fresh bench bus with a listener, provisioned: its listener queue is the one a LightbusWorker drains. */
async function lightbusBus(): Promise<{ bus: BenchBus; busName: string; queueUrl: string }> {
  const busName = uniqueBusName('drain');
  const bus = createBenchBus(busName, { onPing: () => undefined });
  await provision(bus);
  return { bus, busName, queueUrl: await bus.transports.queues.locator.url(`${busName}-listen-bench-counter`) };
}

/** A LightbusWorker with the CLI's defaults drains the bus's full listener queue; elapsed ms. Closes the bus. */
async function lightbusDrainMs(bus: BenchBus, total: number): Promise<number> {
  let processed = 0;
  const worker = new LightbusWorker(bus, { logger: silentLogger });
  worker.on('message_processed', () => {
    processed += 1;
  });
  const start = now();
  await worker.start();
  await waitFor(() => processed >= total, 120_000, 'the LightbusWorker to drain', 5);
  const elapsed = now() - start;
  await worker.stop();
  await bus.close();
  return elapsed;
}

/** Messages per second over several drains of `total` each: all their messages ÷ all their time. */
function pooledRate(total: number, elapsedMs: readonly number[]): number {
  return rate(total * elapsedMs.length, elapsedMs.reduce((sum, ms) => sum + ms, 0));
}

export async function drainScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const total = ctx.quick ? 1000 : 5000;
  const raw = ctx.raw;
  const details: Record<string, unknown> = { messages: total };

  // The first listener queue is filled through EventBridge while no worker runs; a sample body
  // gives every other queue (and the later lightbus rounds) the same messages.
  const first = await lightbusBus();
  await Promise.all(Array.from({ length: total }, (_, n) => first.bus.bench.ping.fire({ n, note: PING_NOTE })));
  await waitFor(async () => (await queueDepth(raw, first.queueUrl)).visible >= total, 30_000, 'the listener queue to fill');
  const sample = await raw.sqs.send(new Receive({ QueueUrl: first.queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
  const body = sample.Messages?.[0]?.Body ?? '{}';
  const bodies = Array.from({ length: total }, () => body);
  details.messageBytes = Buffer.byteLength(body);

  const fresh = async (label: string) => {
    const url = await createQueue(raw, `${uniqueBusName(`drain-${label}`)}`);
    await fillQueue(raw, url, bodies);
    return url;
  };
  const lightbusMs: number[] = [];
  const raw8Ms: number[] = [];
  const lightbusRound = async (round: number) => {
    const target = round === 0 ? first : await lightbusBus();
    if (round > 0) await fillQueue(raw, target.queueUrl, bodies);
    lightbusMs.push(await lightbusDrainMs(target.bus, total));
    ctx.log(`  LightbusWorker (defaults), run ${round + 1}: ${rate(total, lightbusMs[lightbusMs.length - 1] as number)} msgs/s`);
  };
  const raw8Round = async () => {
    raw8Ms.push(await rawDrainMs(raw, await fresh('raw8'), total, 8));
    ctx.log(`  raw loop, 8 pollers, run ${raw8Ms.length}: ${rate(total, raw8Ms[raw8Ms.length - 1] as number)} msgs/s`);
  };
  for (let round = 0; round < ALTERNATING_RUNS; round += 1) {
    if (round % 2 === 0) {
      await lightbusRound(round);
      await raw8Round();
    } else {
      await raw8Round();
      await lightbusRound(round);
    }
  }
  const lightbus = pooledRate(total, lightbusMs);
  const raw8 = pooledRate(total, raw8Ms);
  const sqsConsumer = await sqsConsumerDrain(raw, await fresh('sqsc'), total);
  ctx.log(`  sqs-consumer: ${sqsConsumer} msgs/s`);
  const raw1 = rate(total, await rawDrainMs(raw, await fresh('raw1'), total, 1));
  ctx.log(`  raw loop, 1 poller: ${raw1} msgs/s`);
  Object.assign(details, { busName: first.busName, msgsPerSecond: { lightbus, sqsConsumer, raw1, raw8 }, runs: { lightbus: lightbusMs.map((ms) => rate(total, ms)), raw8: raw8Ms.map((ms) => rate(total, ms)) }, alternatingRuns: ALTERNATING_RUNS });

  const unit = 'msgs/s';
  return {
    id: 'drain',
    title: 'Worker drain',
    status: 'ok',
    figures: [
      figure('LightbusWorker, defaults', lightbus, unit, 'higher', { name: 'sqs-consumer v14 (handleMessage, batchSize 10)', value: sqsConsumer }, { text: '≥ 2× sqs-consumer', ratio: 2 }),
      figure('LightbusWorker, defaults', lightbus, unit, 'higher', { name: 'raw Receive(10)+DeleteMessageBatch, 8 pollers', value: raw8 }, { text: '≥ 0.8× 8-poller raw loop (the emulator\'s ceiling)', ratio: 0.8 }),
      figure('LightbusWorker, defaults', lightbus, unit, 'higher', { name: 'raw loop, 1 poller', value: raw1 }),
    ],
    details,
    notes: [
      `Each contestant drains its own fresh queue of ${total} identical EventBridge deliveries (${String(details.messageBytes)} bytes each) with nothing else running; timed from start to the last message deleted (raw, sqs-consumer) or processed (lightbus, which deletes in batches right after).`,
      `LightbusWorker and the 8-poller raw loop alternate (lightbus, raw, raw, lightbus; ${ALTERNATING_RUNS} runs each, each on a fresh queue) and are reported over all their runs (messages ÷ total time; per-run figures in details); sqs-consumer and the 1-poller loop run once.`,
      `LightbusWorker runs in this process with the CLI's defaults (${DEFAULT_CONCURRENCY} messages in flight, ${Math.ceil(DEFAULT_CONCURRENCY / 10)} pollers); it parses and validates each event and calls the listener, the others do no work per message.`,
    ],
  };
}
