/**
 * How many messages a worker runs at once by default on each queue (DEFAULT_CONCURRENCY), and
 * a caller with many calls in flight: no listener-leak warning from Node.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_CONCURRENCY } from '../../local';
import { eventually, lightbus, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

/** A gate the handlers wait at, counting how many wait at once. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const state = { running: 0, most: 0 };
  return {
    state,
    open,
    async pass(): Promise<void> {
      state.running += 1;
      state.most = Math.max(state.most, state.running);
      await opened;
      state.running -= 1;
    },
  };
}

type Gate = ReturnType<typeof gate>;

/** A bus whose math.add waits at `calls` and whose listener waits at `events`. */
function gatedBus(calls: Gate, events: Gate) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'gated', apis: [mathApi] })));
  bus.register(mathApi, {
    add: async ({ a, b }) => {
      await calls.pass();
      return a + b;
    },
    fail: () => undefined,
    slow: () => '',
  });
  bus.math.happened.listen(() => events.pass(), { listenerName: 'gated' });
  return bus;
}

describe('worker concurrency defaults', () => {
  it('runs up to 64 RPC calls of one queue at once, and 64 messages of a listener queue', async () => {
    expect(DEFAULT_CONCURRENCY).toBe(64);
    const calls = gate();
    const events = gate();
    const bus = gatedBus(calls, events);
    await startWorker(bus);

    // More work than either default admits: the extra waits in its queue until slots free.
    const answers = Promise.all(Array.from({ length: 80 }, (_, n) => bus.math.add({ a: n, b: 1 }, { timeoutMs: 60_000 })));
    await Promise.all(Array.from({ length: 75 }, (_, n) => bus.math.happened.fire({ n })));
    await eventually(() => calls.state.running === 64 && events.state.running === 64, 30_000, '64 calls and 64 events running').catch((error: Error) => {
      calls.open();
      events.open();
      throw new Error(`${error.message}: ${JSON.stringify({ calls: calls.state, events: events.state })}`);
    });
    // Given time to admit more, it does not.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(calls.state.most).toBe(64);
    expect(events.state.most).toBe(64);

    calls.open();
    events.open();
    expect(await answers).toEqual(Array.from({ length: 80 }, (_, n) => n + 1));
    await eventually(() => events.state.running === 0 && events.state.most === 64, 30_000, 'the events to finish');
  }, 90_000);

  it('keeps its own --concurrency for every queue when one is given', async () => {
    const calls = gate();
    const events = gate();
    const bus = gatedBus(calls, events);
    await startWorker(bus, { concurrency: 5 });
    const answers = Promise.all(Array.from({ length: 12 }, (_, n) => bus.math.add({ a: n, b: 0 }, { timeoutMs: 60_000 })));
    await Promise.all(Array.from({ length: 12 }, (_, n) => bus.math.happened.fire({ n })));
    await eventually(() => calls.state.running === 5 && events.state.running === 5, 20_000, '5 calls and 5 events running');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([calls.state.most, events.state.most]).toEqual([5, 5]);
    calls.open();
    events.open();
    expect(await answers).toEqual(Array.from({ length: 12 }, (_, n) => n));
  }, 60_000);

  it('lets a caller have many calls in flight without a MaxListenersExceededWarning', () => {
    // Node emits it on the real process, which jest's sandbox does not see: a process of its own.
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'many-calls-in-flight.ts')], {
      env: process.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { sums: number[]; warnings: string[] };
    expect(report.sums).toEqual(Array.from({ length: 40 }, (_, n) => 2 * n));
    expect(report.warnings).toEqual([]);
  }, 90_000);
});
