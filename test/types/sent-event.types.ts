/**
 * Type-level tests of what fire() resolves with: `SentEvent` is a union on `delivery`, so a
 * confirmed fire's `eventBridgeId` is a `string` once narrowed, and a buffered one's `undefined`.
 *
 * `tsc --noEmit -p tsconfig.json` checks this file (see bus-client.types.ts); nothing here runs.
 */
import { expectTypeOf } from 'expect-type';
import { lightbus, z, type BufferedSentEvent, type ConfirmedSentEvent, type SentEvent } from '../../runtime';

const ordersApi = lightbus.api('orders', {
  events: { placed: lightbus.event({ parameters: { orderId: z.string() } }), cleared: lightbus.event({ parameters: {} }) },
});

export async function sentEventTypeTests(): Promise<void> {
  const bus = lightbus.create({ serviceName: 'orders', apis: [ordersApi] });

  const sent = await bus.orders.placed.fire({ orderId: 'o-1' });
  expectTypeOf(sent).toEqualTypeOf<SentEvent<{ orderId: string }>>();
  expectTypeOf(sent.delivery).toEqualTypeOf<'confirmed' | 'buffered'>();
  expectTypeOf(sent.eventBridgeId).toEqualTypeOf<string | undefined>();

  if (sent.delivery === 'confirmed') {
    // Confirmed delivery: EventBridge's id, as before buffered delivery existed.
    expectTypeOf(sent).toEqualTypeOf<ConfirmedSentEvent<{ orderId: string }>>();
    expectTypeOf(sent.eventBridgeId).toEqualTypeOf<string>();
    const id: string = sent.eventBridgeId;
    void id;
  } else {
    expectTypeOf(sent).toEqualTypeOf<BufferedSentEvent<{ orderId: string }>>();
    expectTypeOf(sent.eventBridgeId).toEqualTypeOf<undefined>();
  }

  // An explicit delivery narrows the result without a check.
  const confirmed = await bus.orders.placed.fire({ orderId: 'o-2' }, { delivery: 'confirmed' });
  expectTypeOf(confirmed).toEqualTypeOf<ConfirmedSentEvent<{ orderId: string }>>();
  expectTypeOf(confirmed.eventBridgeId).toEqualTypeOf<string>();
  const buffered = await bus.orders.placed.fire({ orderId: 'o-3' }, { delivery: 'buffered' });
  expectTypeOf(buffered).toEqualTypeOf<BufferedSentEvent<{ orderId: string }>>();
  // @ts-expect-error parameters are still checked with an explicit delivery
  void bus.orders.placed.fire({ orderId: 3 }, { delivery: 'confirmed' });

  // An event without parameters fires with none, narrowed or not.
  expectTypeOf(await bus.orders.cleared.fire()).toEqualTypeOf<SentEvent<Record<string, never>>>();
  expectTypeOf(await bus.orders.cleared.fire(undefined, { delivery: 'buffered' })).toEqualTypeOf<BufferedSentEvent<Record<string, never>>>();
  // @ts-expect-error an event with parameters needs them
  void bus.orders.placed.fire();

  // @ts-expect-error not narrowed: the id may be missing (buffered delivery)
  const unchecked: string = sent.eventBridgeId;
  void unchecked;

  // The two shapes do not mix.
  // @ts-expect-error a confirmed event always has an EventBridge id
  const noId: ConfirmedSentEvent = { id: 'x', delivery: 'confirmed', eventBridgeId: undefined, api: 'a', event: 'e', parameters: {}, firedAt: '' };
  // @ts-expect-error a buffered event has no EventBridge id yet
  const withId: BufferedSentEvent = { id: 'x', delivery: 'buffered', eventBridgeId: 'eb', api: 'a', event: 'e', parameters: {}, firedAt: '' };
  void noId;
  void withId;
}
