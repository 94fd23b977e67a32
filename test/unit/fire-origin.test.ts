/**
 * Fire origins (client/fire-origin.ts): the work running when an event is fired with buffered
 * delivery is recorded on it, and followFires() reports the events of one piece of work whose
 * delivery failed, once all its deliveries are concluded. EventBridge is a stub here.
 */
import type { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { lightbus, silentLogger } from '../../runtime';
import { MAX_LINGER_MS } from '../../runtime/config';
import { mathApi } from '../support/apis';

/** EventBridge refuses events fired with n = 1 and accepts the rest. */
function stubEventBridge(bus: { transports: object }): void {
  const send = async (command: PutEventsCommand) => {
    const entries: PutEventsRequestEntry[] = command.input.Entries ?? [];
    return {
      Entries: entries.map((entry, i) =>
        (JSON.parse(entry.Detail ?? '{}') as { parameters: { n: number } }).parameters.n === 1
          ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }
          : { EventId: `eb-${i}` },
      ),
      FailedEntryCount: 0,
    };
  };
  Object.defineProperty(bus.transports, 'clients', { value: { eventBridge: { send }, destroy: () => {} }, configurable: true });
}

function mathBus() {
  const bus = lightbus.create({
    busName: 'fire-origin-unit',
    serviceName: 'math',
    apis: [mathApi],
    logger: silentLogger,
    fire: { delivery: 'buffered', lingerMs: MAX_LINGER_MS },
  });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined as never, slow: async () => 'done' });
  stubEventBridge(bus);
  return bus;
}

describe('followFires(): the deliveries of one piece of work', () => {
  it("concluded() lists the work's undelivered events, with its fire origin, and flush() no longer reports them", async () => {
    const bus = mathBus();
    const followed = await bus.followFires('message-1', async () => {
      await bus.math.happened.fire({ n: 1 });
      await bus.math.happened.fire({ n: 2 });
      return 'handled';
    });
    expect(followed.value).toBe('handled');
    const undelivered = await followed.concluded();
    expect(undelivered.map((e) => ({ event: e.event, origin: e.origin, errorCode: e.errorCode }))).toEqual([
      { event: 'happened', origin: 'message-1', errorCode: 'AccessDeniedException' },
    ]);
    await expect(bus.flush()).resolves.toBeUndefined();
    await bus.close();
  });

  it('rethrows what the work threw', async () => {
    const bus = mathBus();
    await expect(
      bus.followFires('message-3', async () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await bus.close();
  });
});
