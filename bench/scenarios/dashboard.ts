/**
 * Scenario — the dashboard's live view under load: events fired at 1,000/s for a while (raw
 * PutEvents of 10, paced every 100 ms) onto a bus with nothing else on it, seen by `lightbus
 * dashboard` (its temporary rule + queue, ring buffer, server-sent events) and by one page-like
 * client reading the event stream and keeping the last `capacity` items, as the page does.
 * Figures: the rate the dashboard keeps up with, whether every event reached the client (or was
 * reported dropped), and the server's heap before, after one round and after a second equal round
 * (bounded memory: the second round must not add what the first did).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { AwsClients } from '../../runtime/transport';
import { inspectEventPattern } from '../../local/cli/inspect-filters';
import { createTemporaryResources, removeTemporaryResources, type TemporaryResources } from '../../local/live-traffic';
import { create, silentLogger } from '../../runtime';
import { provisionTopology } from '../../local/provision';
import { startDashboard, type TrafficBatch } from '../../local/dashboard';
import { uniqueBusName } from '../lib/aws';
import type { BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { chunk, rate, sleep, waitFor } from '../lib/stats';
import { rawPingEntry } from '../lib/raw-sdk';

const RATE_PER_SECOND = 1000;
const CAPACITY = 2000;
const MB = 2 ** 20;

/** What a page-like client saw of the stream: items, reported drops, and at most CAPACITY kept. */
interface StreamClient {
  received: number;
  dropped: number;
  kept: unknown[];
  close(): void;
}

async function connect(url: string): Promise<StreamClient> {
  const abort = new AbortController();
  const client: StreamClient = { received: 0, dropped: 0, kept: [], close: () => abort.abort() };
  const response = await fetch(`${url}/api/traffic/stream`, { signal: abort.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^event: traffic\ndata: (.*)$/m.exec(message)?.[1];
          if (data === undefined) continue;
          const batch = JSON.parse(data) as TrafficBatch;
          client.received += batch.items.length;
          client.dropped += batch.dropped;
          client.kept.push(...batch.items);
          if (client.kept.length > CAPACITY) client.kept.splice(0, client.kept.length - CAPACITY);
        }
      }
    } catch {
      // aborted
    }
  })();
  return client;
}

/** A full collection before each reading (the bench does not run with --expose-gc): else the heap figures are GC timing. */
function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function heapMb(): number {
  collectGarbage();
  return Math.round((process.memoryUsage().heapUsed / MB) * 10) / 10;
}

export async function dashboardScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const seconds = ctx.quick ? 5 : 15;
  const total = RATE_PER_SECOND * seconds;
  const busName = uniqueBusName('dash');
  const bus = create({ busName, logger: silentLogger });
  await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
  const running = await startDashboard({ bus, aws: bus.settings.aws, endpointLabel: ctx.endpoint, logger: silentLogger, capacity: CAPACITY });
  const client = await connect(running.url);
  const stats = () => running.dashboard.trafficStats();
  let closed = false;
  try {
    const round = async (offset: number) => {
      const result = await fireAndWait(ctx, busName, seconds, offset, () => stats().received, 'the dashboard');
      await waitFor(() => client.received + client.dropped >= offset + total, 30_000, 'the stream client to get them', 50);
      return result;
    };
    await sleep(500);
    const heapBefore = heapMb();
    const first = await round(0);
    await sleep(500);
    const heapAfterFirst = heapMb();
    const second = await round(total);
    await sleep(500);
    const heapAfterSecond = heapMb();
    const s = stats();
    // The baseline runs alone: the dashboard's receivers would compete for the emulator.
    client.close();
    await running.close();
    closed = true;
    const baseline = await rawBaseline(ctx, busName, seconds);
    const lossless = s.received === 2 * total && client.received + client.dropped === 2 * total;
    ctx.log(`dashboard: ${JSON.stringify({ first, second, stats: s, client: { received: client.received, dropped: client.dropped, kept: client.kept.length }, heapBefore, heapAfterFirst, heapAfterSecond })}`);
    return {
      id: 'dashboard',
      title: 'Dashboard live view',
      status: 'ok',
      figures: [
        figure(
          `events fired at ${RATE_PER_SECOND}/s for ${seconds} s → seen by the dashboard (second round)`,
          second.perSecond,
          'events/s',
          'higher',
          { name: 'raw SDK: the same rule + queue, 8 raw pollers (Receive(10) + DeleteMessageBatch), same schedule', value: baseline.perSecond },
          { text: `keeps up with ${RATE_PER_SECOND} events/s (≥ 95% of the fired rate)`, absolute: RATE_PER_SECOND * 0.95 },
        ),
        figure('events lost between the bus and the page (not shown and not reported dropped)', 2 * total - s.received + (s.received - client.received - client.dropped), 'events', 'lower', undefined, {
          text: '0',
          absolute: 0,
        }),
        figure('events the page client fell behind on (reported to it as dropped)', client.dropped, 'events', 'lower'),
        figure('server heap before', heapBefore, 'MB', 'lower'),
        figure(`server heap after ${total} events`, heapAfterFirst, 'MB', 'lower'),
        figure(`server heap after ${2 * total} events`, heapAfterSecond, 'MB', 'lower', undefined, {
          text: `bounded: the second ${total} events add < 10 MB`,
          absolute: heapAfterFirst + 10,
        }),
      ],
      details: { first, second, baseline, stats: s, client: { received: client.received, dropped: client.dropped, kept: client.kept.length }, lossless, capacity: CAPACITY },
      notes: [
        `The ring buffers keep the newest ${CAPACITY} items (server and client); held = ${s.held}, evicted = ${s.evicted}; the client kept ${client.kept.length}.`,
        'Heap measured in the bench process, which also fires the events (gc forced when node runs with --expose-gc).',
      ],
    };
  } finally {
    if (!closed) {
      client.close();
      await running.close();
    }
    await bus.close();
  }
}

/**
 * 1,000 events/s: 100 events (10 PutEvents of 10) every 100 ms on a fixed schedule, for `seconds`;
 * resolves once `seen()` reaches `offset` + the number fired. The rate is fired ÷ (first fire → last seen).
 */
async function fireAndWait(ctx: BenchContext, busName: string, seconds: number, offset: number, seen: () => number, who: string) {
  const total = RATE_PER_SECOND * seconds;
  const start = Date.now();
  for (let tick = 0; tick < seconds * 10; tick += 1) {
    const due = start + tick * 100;
    if (Date.now() < due) await sleep(due - Date.now());
    const entries = Array.from({ length: RATE_PER_SECOND / 10 }, (_, k) => rawPingEntry(busName, offset + tick * 100 + k));
    void Promise.all(chunk(entries, 10).map((batch) => ctx.raw.eventBridge.send(new PutEventsCommand({ Entries: batch }))));
  }
  const firedInMs = Date.now() - start;
  await waitFor(() => seen() >= offset + total, 180_000, `${who} to see ${offset + total} events`, 50);
  const seenInMs = Date.now() - start;
  return { firedInMs, seenInMs, perSecond: rate(total, seenInMs) };
}

/** The same temporary rule + queue drained by raw pollers with no dashboard code: the emulator's ceiling for this path right now. */
async function rawBaseline(ctx: BenchContext, busName: string, seconds: number) {
  const clients = new AwsClients({ endpoint: ctx.endpoint });
  const resources: TemporaryResources = { eventBusName: busName, ruleName: `${busName}-rawtap`, queueName: `${busName}-rawtap` };
  await createTemporaryResources(clients, resources, inspectEventPattern({}));
  let seen = 0;
  let stop = false;
  const pollers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      const out = await ctx.raw.sqs.send(new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const messages = out.Messages ?? [];
      seen += messages.length;
      if (messages.length > 0) {
        await ctx.raw.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: resources.queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      }
    }
  });
  try {
    return await fireAndWait(ctx, busName, seconds, 0, () => seen, 'the raw pollers');
  } finally {
    stop = true;
    await Promise.allSettled(pollers);
    await removeTemporaryResources(clients, resources);
    clients.destroy();
  }
}
