/**
 * fire(params, { eventId }): the caller names the event's id (to fire again, as the same event, one
 * whose fire() failed). The id is checked before anything is sent and is the event's `detail.id`.
 */
import { EventFireError, lightbus, LightbusError, silentLogger, type BusClient } from '../../runtime';
import { mathApi } from '../support/apis';
import type { DeliveryListener } from '../../runtime/transport';
import { stubTransports } from '../support/stub-transports';

function newBus(): BusClient {
  const bus = lightbus.create({ busName: 'event-id-unit', serviceName: 'math', apis: [mathApi], logger: silentLogger }) as unknown as BusClient;
  bus.registerApi(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
  return bus;
}

const ID = '0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44';

describe('fire() with a given eventId', () => {
  it('sends the event under that id, in both delivery modes', async () => {
    const bus = newBus();
    const stub = stubTransports(bus);
    const sent = await bus.fire('math.happened', { n: 1 }, { eventId: ID });
    expect(sent.id).toBe(ID);
    expect((JSON.parse(stub.published[0]?.Detail ?? '{}') as { id?: string }).id).toBe(ID);
    await bus.close();

    const buffered = newBus();
    let entryDetail: string | undefined;
    Object.defineProperty(buffered.transports, 'publisher', {
      value: { buffer: (entry: { Detail: string }) => void (entryDetail = entry.Detail), flush: async () => ({ events: [], notRetained: 0 }) },
      configurable: true,
    });
    const queued = await buffered.fire('math.happened', { n: 1 }, { eventId: ID, delivery: 'buffered' });
    expect(queued.id).toBe(ID);
    expect((JSON.parse(entryDetail ?? '{}') as { id?: string }).id).toBe(ID);
  });

  it('without one, each fire gets a new id', async () => {
    const bus = newBus();
    stubTransports(bus);
    const [a, b] = await Promise.all([bus.fire('math.happened', { n: 1 }), bus.fire('math.happened', { n: 1 })]);
    expect(a.id).not.toBe(b.id);
  });

  it.each([
    ['an uppercase UUID', ID.toUpperCase()],
    ['a UUID without hyphens', ID.replace(/-/g, '')],
    ['a made-up id', 'order-42'],
    ['an empty string', ''],
    ['a number', 42],
  ])('rejects %s before sending anything', async (_what, eventId) => {
    const bus = newBus();
    const stub = stubTransports(bus);
    const fired = bus.fire('math.happened', { n: 1 }, { eventId: eventId as string });
    await expect(fired).rejects.toThrow(LightbusError);
    await expect(fired).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(fired).rejects.toThrow(`math.happened.fire(): eventId must be a lowercase UUID such as fire() makes`);
    await expect(fired).rejects.toThrow(`got ${JSON.stringify(eventId)}`);
    expect(stub.published).toHaveLength(0);
  });

  // Without hooks the publisher settles fire()'s promise itself (publishTo); with EventSent hooks
  // the hooks wrap the publisher's own promise (publish). Both name the id.
  it.each([false, true])("a confirmed fire's EventFireError names the id it tried, and a retry with it keeps the id (EventSent hooks: %s)", async (withHooks) => {
    const bus = newBus();
    const details: string[] = [];
    let failing = true;
    // What the publisher does when the fire's time runs out: fails it with an EventFireError that does not know the event's id.
    const timedOut = () => new EventFireError('math', 'happened', 'Timeout', 'EventBridge did not answer within eventFireTimeout');
    Object.defineProperty(bus.transports, 'publisher', {
      value: {
        publish: async (entry: { Detail: string }) => {
          details.push(entry.Detail);
          if (failing) throw timedOut();
          return 'eb-1';
        },
        publishTo: (entry: { Detail: string }, _context: unknown, _deadline: number, listener: DeliveryListener) => {
          details.push(entry.Detail);
          const fails = failing;
          queueMicrotask(() => (fails ? listener.reject(timedOut()) : listener.resolve('eb-1')));
        },
      },
      configurable: true,
    });
    const outcomes: string[] = [];
    if (withHooks) bus.hooks.on('afterEventSent', ({ outcome }) => void outcomes.push(outcome.ok ? 'ok' : 'failed'));
    const error = await bus.fire('math.happened', { n: 7 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventFireError);
    const eventId = (error as EventFireError).eventId as string;
    expect((JSON.parse(details[0] as string) as { id: string }).id).toBe(eventId);
    expect((error as EventFireError).context).toMatchObject({ api: 'math', member: 'happened', errorCode: 'Timeout', eventId });

    failing = false;
    const retried = await bus.fire('math.happened', { n: 7 }, { eventId });
    expect(retried.id).toBe(eventId);
    expect((JSON.parse(details[1] as string) as { id: string }).id).toBe(eventId);
    expect(outcomes).toEqual(withHooks ? ['failed', 'ok'] : []);
  });
});
