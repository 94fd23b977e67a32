/**
 * End to end against a frozen endpoint: a private MiniStack (not the shared one of the jest global
 * setup) is stopped with SIGSTOP, so every AWS call hangs. A call, a confirmed fire, flush() and
 * close() must still settle by their deadlines, with RpcTimeoutError, EventFireError and
 * UndeliveredEventsError; and, the emulator resumed,
 * the fire sent again under the error's eventId reaches the listener under that one id only,
 * however many copies arrive. The bound asserted is a correctness bound with a wide margin (the
 * frozen endpoint would otherwise hold the calls for as long as it stays frozen), not a speed one.
 * test/unit/client-deadlines.test.ts covers each operation against a server that never answers.
 */
import { execFileSync } from 'node:child_process';
import { EventFireError, lightbus, RpcTimeoutError, UndeliveredEventsError, type Bus } from '../../runtime';
import { startEmulator, type EmulatorHandle } from '../../tools/emulator';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

const DEADLINE_MS = 2_000;
const MARGIN_MS = 4_000;

/** The pid of the process listening on `port` (the emulator's gateway). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
  const match = /pid=(\d+)/.exec(out);
  if (!match) throw new Error(`no process found listening on port ${port}: ${out}`);
  return Number(match[1]);
}

describe('client deadlines with the emulator frozen (SIGSTOP)', () => {
  let emulator: EmulatorHandle;
  let pid: number | undefined;
  let frozen = false;

  beforeAll(async () => {
    emulator = await startEmulator({ installIfMissing: false });
    pid = listenerPid(emulator.port);
  });
  afterEach(async () => {
    if (frozen && pid !== undefined) process.kill(pid, 'SIGCONT');
    frozen = false;
    await stopAll();
  });
  afterAll(async () => {
    // stop() signals the emulator's process group once more when it is gone; inside a jest worker
    // its ESRCH check misses (the error is not an instance of this realm's Error), so it throws.
    await emulator?.stop().catch((error: unknown) => {
      if (!/ESRCH/.test((error as { message?: string })?.message ?? '')) throw error;
    });
  });

  it('a call, a confirmed fire, flush() and close() settle by their deadlines; the fire sent again keeps its id', async () => {
    const bus: Bus<readonly [typeof mathApi]> = track(
      lightbus.create(
        testBusOptions({
          serviceName: 'frozen',
          apis: [mathApi],
          aws: { endpoint: emulator.endpoint, region: emulator.region },
          apiSettings: { math: { eventFireTimeoutMs: DEADLINE_MS } },
        }),
      ),
    );
    bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
    // Ids of the n = 1 events the listener gets (the buffered ones, n = 2 and 3, may arrive too).
    const seen: string[] = [];
    bus.math.happened.listen((event, { n }) => void (n === 1 && seen.push(event.id)), { listenerName: 'seen' });
    await startWorker(bus);
    // Warm: the queue's URL is known and connections are open, as in a running service.
    await expect(bus.math.add({ a: 1, b: 2 })).resolves.toBe(3);

    // A second client of the same service, with buffered delivery, for flush() and close().
    const buffered = lightbus.create(
      testBusOptions({
        busName: bus.settings.busName,
        serviceName: 'frozen',
        apis: [mathApi],
        aws: { endpoint: emulator.endpoint, region: emulator.region },
        apiSettings: { math: { eventFireTimeoutMs: DEADLINE_MS } },
        fire: { delivery: 'buffered' },
      }),
    );
    buffered.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });

    process.kill(pid as number, 'SIGSTOP');
    frozen = true;
    const timed = async (operation: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> => {
      const started = Date.now();
      const error = await operation().then(
        () => undefined,
        (e: unknown) => e,
      );
      return { error, ms: Date.now() - started };
    };
    // All at once: the emulator stays frozen for about one deadline.
    const [call, fire, flush, close] = await Promise.all([
      timed(() => bus.math.add({ a: 2, b: 3 }, { timeoutMs: DEADLINE_MS })),
      timed(() => bus.math.happened.fire({ n: 1 })),
      timed(async () => {
        await buffered.math.happened.fire({ n: 2 });
        await buffered.flush();
      }),
      timed(async () => {
        await new Promise((r) => setTimeout(r, 100));
        await buffered.math.happened.fire({ n: 3 });
        await buffered.close();
      }),
    ]);
    process.kill(pid as number, 'SIGCONT');
    frozen = false;
    const settleTimes = { call: call.ms, confirmedFire: fire.ms, flush: flush.ms, closeWithBufferedEvent: close.ms };
    process.stdout.write(`frozen emulator settle times (ms): ${JSON.stringify(settleTimes)}\n`);

    expect(call.error).toBeInstanceOf(RpcTimeoutError);
    expect(call.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    const fireError = fire.error as EventFireError;
    expect(fireError).toBeInstanceOf(EventFireError);
    expect(fireError.context.errorCode).toBe('Timeout');
    expect(fire.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(flush.error).toBeInstanceOf(UndeliveredEventsError);
    expect((flush.error as UndeliveredEventsError).events.map((e) => e.errorCode)).toEqual(['Timeout']);
    expect(flush.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    // close() began 100 ms in, with its own event pending.
    expect(close.error).toBeInstanceOf(UndeliveredEventsError);
    expect(close.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);

    const eventId = (fireError as EventFireError).eventId as string;
    const again = await bus.math.happened.fire({ n: 1 }, { eventId });
    expect(again.id).toBe(eventId);
    await eventually(() => seen.length > 0, 20_000, 'the event to reach the listener');
    // The frozen attempt may have arrived too (EventBridge does not deduplicate): under the same id.
    expect(new Set(seen)).toEqual(new Set([eventId]));
  });
});
