/**
 * Type-level tests of what fire() resolves with: `SentEvent` is a union on `delivery`, so a
 * confirmed fire's `eventBridgeId` is a `string` once narrowed, and a buffered one's `undefined`.
 *
 * `tsc --noEmit -p tsconfig.json` checks this file (see bus-client.types.ts); nothing here runs.
 */
import { expectTypeOf } from 'expect-type';
import { lightbus, z, type BufferedSentEvent, type ConfirmedSentEvent, type SentEvent } from '../../runtime';

const ordersApi = lightbus.api('orders', {
  events: { placed: lightbus.event({ parameters: { orderId: z.string() } }) },
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
