/**
 * Scenario 4 — worker drain: 5,000 queued events, no-op listener. The LightbusWorker (what
 * `lightbus run --local` runs; here in this process, started once the queue is full) against
 * sqs-consumer (one consumer, handleMessage, batchSize 10) and raw ReceiveMessage(10) +
 * DeleteMessageBatch loops with 1 and 8 concurrent pollers. Each contestant drains its own fresh
 * queue holding the same 5,000 EventBridge deliveries.
 */
import { ReceiveMessageCommand as Receive } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { LightbusWorker } from '../../local';
import { silentLogger } from '../../runtime';
import { createQueue, fillQueue, queueDepth, uniqueBusName, type RawClients } from '../lib/aws';
import { createBenchBus, provision, type BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { now, rate, waitFor } from '../lib/stats';
import { PING_NOTE } from '../fixtures/bench-api';
import { rawDrainLoops } from '../lib/raw-sdk';

async function rawDrain(raw: RawClients, queueUrl: string, total: number, pollers: number): Promise<number> {
  const start = now();
  await rawDrainLoops(raw.sqs, queueUrl, total, pollers);
  return rate(total, now() - start);
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

export async function drainScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const total = ctx.quick ? 1000 : 5000;
  const raw = ctx.raw;
  const details: Record<string, unknown> = { messages: total };

  // The listener's queue, filled through EventBridge while no worker runs; a sample body gives
  // the other contestants the same messages.
  const busName = uniqueBusName('drain');
  let processed = 0;
  const bus = createBenchBus(busName, { onPing: () => undefined });
  await provision(bus);
  const listenerQueue = `${busName}-listen-bench-counter`;
  const listenerUrl = await bus.transports.queues.locator.url(listenerQueue);
  await Promise.all(Array.from({ length: total }, (_, n) => bus.bench.ping.fire({ n, note: PING_NOTE })));
  await waitFor(async () => (await queueDepth(raw, listenerUrl)).visible >= total, 30_000, 'the listener queue to fill');
  const sample = await raw.sqs.send(new Receive({ QueueUrl: listenerUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
  const body = sample.Messages?.[0]?.Body ?? '{}';
  details.messageBytes = Buffer.byteLength(body);

  const worker = new LightbusWorker(bus, { logger: silentLogger });
  worker.on('message_processed', () => {
    processed += 1;
  });
  const start = now();
  await worker.start();
  await waitFor(() => processed >= total, 120_000, 'the LightbusWorker to drain', 5);
  const lightbus = rate(total, now() - start);
  await worker.stop();
  await bus.close();
  ctx.log(`  LightbusWorker (defaults): ${lightbus} msgs/s`);

  const fresh = async (label: string) => {
    const url = await createQueue(raw, `${uniqueBusName(`drain-${label}`)}`);
    await fillQueue(raw, url, Array.from({ length: total }, () => body));
    return url;
  };
  const sqsConsumer = await sqsConsumerDrain(raw, await fresh('sqsc'), total);
  ctx.log(`  sqs-consumer: ${sqsConsumer} msgs/s`);
  const raw1 = await rawDrain(raw, await fresh('raw1'), total, 1);
  ctx.log(`  raw loop, 1 poller: ${raw1} msgs/s`);
  const raw8 = await rawDrain(raw, await fresh('raw8'), total, 8);
  ctx.log(`  raw loop, 8 pollers: ${raw8} msgs/s`);
  Object.assign(details, { busName, msgsPerSecond: { lightbus, sqsConsumer, raw1, raw8 } });

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
      'LightbusWorker runs in this process with the CLI\'s defaults (32 messages in flight, 4 pollers); it parses and validates each event and calls the listener, the others do no work per message.',
    ],
  };
}
