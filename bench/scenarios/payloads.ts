/**
 * Scenario — payloads (#12). Small events and calls must pay nothing for the payload-bucket path:
 * the same client fires and calls with the payload feature as built (a size decision per message,
 * from the length the message already has) and with the decision taken out (the pre-#12 path: no
 * check at all), alternating A/B rounds in the same run so machine load skews neither. Then the
 * cost of the path itself: 1 MB and 10 MB events fired → handled, and calls with 1 MB and 10 MB
 * parameters and results, through the emulator's S3.
 */
import { lightbus, silentLogger, z } from '../../runtime';
import { LightbusWorker } from '../../local';
import { PayloadOffloader } from '../../runtime/payloads';
import type { EventEntry } from '../../runtime/transport';
import { uniqueBusName } from '../lib/aws';
import { createBenchBus, provision, type BenchContext } from '../lib/context';
import { PING_NOTE } from '../fixtures/bench-api';
import { figure, type Figure, type ScenarioResult } from '../lib/report';
import { now, pool, round, summarise, waitFor } from '../lib/stats';

const blobApi = lightbus.api('blob', {
  rpcs: { echo: lightbus.rpc({ parameters: { text: z.string() }, response: z.string() }) },
  events: { stored: lightbus.event({ parameters: { text: z.string() } }) },
});

const MB = 1024 * 1024;
const SMALL_TEXT = 'a short note so the event is not empty';

/** The pre-#12 path: no size decision (every message inline). */
const NO_DECISION = { eventFits: () => true, requestFits: () => true } as unknown as PayloadOffloader;

export async function payloadsScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const busName = uniqueBusName('payloads');
  const handled = new Map<string, number>();
  const server = lightbus.create({ busName, serviceName: 'blobs', apis: [blobApi], logger: silentLogger });
  server.register(blobApi, { echo: ({ text }) => text });
  server.blob.stored.listen((event) => void handled.set(event.id, now()), { listenerName: 'sink' });
  const worker = new LightbusWorker(server, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });
  await worker.start();
  const client = lightbus.create({ busName, serviceName: 'caller', apis: [blobApi], logger: silentLogger });
  const withFeature = client.transports.offloads;
  const setPath = (feature: boolean) => Object.defineProperty(client.transports, 'offloads', { value: feature ? withFeature : NO_DECISION, configurable: true });
  // Small fires on a bus of their own with no rules (as in the fire scenario): the figures measure
  // fire() and PutEvents, not a listener handling events in this process at the same time.
  const firer = createBenchBus(uniqueBusName('payloads-fire'));
  await provision(firer);
  const firerOffloads = firer.transports.offloads;
  const setFirePath = (feature: boolean) => Object.defineProperty(firer.transports, 'offloads', { value: feature ? firerOffloads : NO_DECISION, configurable: true });
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    const rounds = ctx.quick ? 2 : 8;
    const events = ctx.quick ? 300 : 750;
    const calls = ctx.quick ? 100 : 200;
    const fire = (i: number) => firer.bench.ping.fire({ n: i, note: PING_NOTE });
    const call = (i: number) => client.blob.echo({ text: `${SMALL_TEXT} ${i}` });
    /** ms per item over `rounds` alternating A/B rounds (feature first in odd rounds, second in even). */
    const ab = async (count: number, concurrency: number, task: (i: number) => Promise<unknown>, set: (feature: boolean) => void) => {
      const totals = { feature: 0, old: 0 };
      await pool(200, concurrency, task); // warm-up
      for (let r = 0; r < rounds; r += 1) {
        for (const feature of r % 2 === 0 ? [true, false] : [false, true]) {
          set(feature);
          const start = now();
          await pool(count, concurrency, task);
          totals[feature ? 'feature' : 'old'] += now() - start;
        }
      }
      set(true);
      return { feature: round((totals.feature / (rounds * count)) * 1000, 1), old: round((totals.old / (rounds * count)) * 1000, 1) };
    };
    const goal = { text: '≤ 1.0× within noise (≤ 1.05×)', ratio: 1.05 };
    const fire1 = await ab(events, 1, fire, setFirePath);
    figures.push(figure('small event, fire() 1 producer, with payloads', fire1.feature, 'µs/event', 'lower', { name: 'the pre-#12 path (no size decision)', value: fire1.old }, goal));
    const fire32 = await ab(events, 32, fire, setFirePath);
    figures.push(figure('small event, fire() 32 producers, with payloads', fire32.feature, 'µs/event', 'lower', { name: 'the pre-#12 path (no size decision)', value: fire32.old }, goal));
    const call16 = await ab(calls, 16, call, setPath);
    figures.push(figure('small call, 16 in flight, with payloads', call16.feature, 'µs/call', 'lower', { name: 'the pre-#12 path (no size decision)', value: call16.old }, goal));

    // The decision alone, in process: a typical small entry, and one near the limit (byte count).
    const offloader = new PayloadOffloader(() => {
      throw new Error('not reached');
    }, undefined);
    const small: EventEntry = { Source: 'lightbus.blob', DetailType: 'blob.stored', Detail: JSON.stringify({ v: 1, text: SMALL_TEXT }) };
    const near: EventEntry = { ...small, Detail: 'x'.repeat(200 * 1024) };
    const perCheck = (entry: EventEntry) => {
      const n = 1_000_000;
      let fits = 0;
      const start = now();
      for (let i = 0; i < n; i += 1) if (offloader.eventFits(entry)) fits += 1;
      if (fits !== n) throw new Error('unexpected offload');
      return round(((now() - start) / n) * 1e6, 1);
    };
    figures.push(figure('size decision, small event (length only)', perCheck(small), 'ns', 'lower'));
    figures.push(figure('size decision, 200 KB event (UTF-8 byte count)', perCheck(near), 'ns', 'lower'));

    // The payload path: fire → handled, and call round trips, for 1 MB and 10 MB.
    for (const megabytes of [1, 10]) {
      const text = 'abcdefghij'.repeat((megabytes * MB) / 10);
      const samples: number[] = [];
      const callSamples: number[] = [];
      for (let i = 0; i < (ctx.quick ? 2 : 5); i += 1) {
        const start = now();
        const sent = await server.blob.stored.fire({ text });
        await waitFor(() => handled.has(sent.id), 60_000, `the ${megabytes} MB event to be handled`);
        samples.push((handled.get(sent.id) as number) - start);
        const callStart = now();
        const echoed = await client.blob.echo({ text }, { timeoutMs: 60_000 });
        if (echoed.length !== text.length) throw new Error('echo mismatch');
        callSamples.push(now() - callStart);
      }
      const eventP50 = summarise(samples).p50;
      const callP50 = summarise(callSamples).p50;
      figures.push(figure(`${megabytes} MB event, fire() → handled (p50)`, round(eventP50, 1), 'ms', 'lower', undefined, undefined, `${round((megabytes * 1000) / eventP50, 1)} MB/s`));
      figures.push(figure(`${megabytes} MB parameters + ${megabytes} MB result, call round trip (p50)`, round(callP50, 1), 'ms', 'lower', undefined, undefined, `${round((2 * megabytes * 1000) / callP50, 1)} MB/s both ways`));
    }
    notes.push(
      'Small messages: the same clients, the payload size decision in place vs taken out (the path before #12), alternating rounds in one run; values are wall time per item at that concurrency. Small events are the bench API\'s ping (≈ 300 bytes) on a bus without rules; small calls echo a short string through a worker in this process.',
      'Large payloads go through the emulator\'s S3 (PutObject by the sender, GetObject by the receiver) and are checked by SHA-256; the figures include both and the JSON encoding of the payload.',
    );
    return { id: 'payloads', title: 'Payloads (small: zero cost; large: via S3)', status: 'ok', figures, details: { rounds, events, calls, busName }, notes };
  } finally {
    await worker.stop();
    await firer.close();
    await client.close();
    await server.close();
  }
}
