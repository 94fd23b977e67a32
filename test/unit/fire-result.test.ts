/**
 * What a confirmed fire() resolves with, and the `firedAt` it stamps: one ISO 8601 timestamp per
 * millisecond is reused for the events fired in it (a burst fires many), and a new millisecond
 * gets its own. The result and the event on the wire carry the same values.
 */
import { createHook } from 'node:async_hooks';
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { lightbus, silentLogger } from '../../runtime';
import { mathApi } from '../support/apis';
import { stubTransports } from '../support/stub-transports';

afterEach(() => jest.restoreAllMocks());

describe('a confirmed fire()', () => {
  it('resolves with its id, EventBridge id, parameters and the firedAt of its millisecond, as sent', async () => {
    const bus = lightbus.create({ busName: 'fire-result', apis: [mathApi], logger: silentLogger });
    bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'done' });
    const stub = stubTransports(bus);
    const clock = jest.spyOn(Date, 'now');
    const first = Date.UTC(2026, 11, 6, 12, 0, 0, 1);
    clock.mockReturnValue(first);
    const [a, b] = await Promise.all([bus.math.happened.fire({ n: 1 }), bus.math.happened.fire({ n: 2, label: 'two' })]);
    clock.mockReturnValue(first + 1);
    const c = await bus.math.happened.fire({ n: 3 });

    expect([a.firedAt, b.firedAt, c.firedAt]).toEqual(['2026-12-06T12:00:00.001Z', '2026-12-06T12:00:00.001Z', '2026-12-06T12:00:00.002Z']);
    expect(a).toMatchObject({ delivery: 'confirmed', api: 'math', event: 'happened', parameters: { n: 1 }, eventBridgeId: 'eb-1' });
    expect(b).toMatchObject({ parameters: { n: 2, label: 'two' }, eventBridgeId: 'eb-2' });
    const details = stub.published.map((entry) => JSON.parse(entry.Detail) as { id: string; firedAt: string; parameters: unknown });
    expect(details.map((d) => [d.id, d.firedAt, d.parameters])).toEqual([
      [a.id, a.firedAt, { n: 1 }],
      [b.id, b.firedAt, { n: 2, label: 'two' }],
      [c.id, c.firedAt, { n: 3 }],
    ]);
    await bus.close();
  });

  it('makes one promise until EventBridge answers: its own, settled by the publisher', async () => {
    // A burst keeps each fire's promises alive until its PutEvents returns; a second promise of
    // the publisher's, chained to fire()'s, made every fire cost two and their reactions.
    const bus = lightbus.create({ busName: 'fire-result', apis: [mathApi], logger: silentLogger, aws: { region: 'eu-west-1' } });
    bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'done' });
    const sent: unknown[] = [];
    const eventBridge = bus.transports.clients.eventBridge as unknown as { send: (command: PutEventsCommand) => Promise<unknown> };
    eventBridge.send = async (command) => {
      sent.push(...(command.input.Entries ?? []));
      return { Entries: (command.input.Entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })) };
    };
    let promises = 0;
    const hook = createHook({ init: (_id, type) => void (type === 'PROMISE' && (promises += 1)) }).enable();
    const fired = bus.math.happened.fire({ n: 1 });
    hook.disable();
    expect(promises).toBe(1);
    await expect(fired).resolves.toMatchObject({ eventBridgeId: 'eb-0', parameters: { n: 1 } });
    expect(sent).toHaveLength(1);
    await bus.close();
  });
});
