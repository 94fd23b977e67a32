/**
 * Type-level tests of fire()'s `eventId` option and `EventFireError.eventId`: the retry pattern of
 * docs/concepts.md ("Firing again without duplicates") type-checks as written.
 *
 * `tsc --noEmit -p tsconfig.json` checks this file (see bus-client.types.ts); nothing here runs.
 */
import { expectTypeOf } from 'expect-type';
import { EventFireError, lightbus, z, type ConfirmedSentEvent, type FireOptions, type RpcTimeoutError } from '../../runtime';

const ordersApi = lightbus.api('orders', {
  events: { placed: lightbus.event({ parameters: { orderId: z.string() } }), cleared: lightbus.event({ parameters: {} }) },
});

export async function fireEventIdTypeTests(): Promise<void> {
  const bus = lightbus.create({ serviceName: 'orders', apis: [ordersApi] });

  expectTypeOf<FireOptions['eventId']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<EventFireError['eventId']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<RpcTimeoutError['stage']>().toEqualTypeOf<'sending' | 'waiting'>();

  // The documented pattern: fire again under the id the failed fire tried.
  try {
    await bus.orders.placed.fire({ orderId: 'o-1' });
  } catch (error) {
    if (error instanceof EventFireError && error.eventId !== undefined) {
      await bus.orders.placed.fire({ orderId: 'o-1' }, { eventId: error.eventId });
    }
  }

  // With an explicit delivery too, and on an event without parameters.
  const confirmed = await bus.orders.placed.fire({ orderId: 'o-2' }, { eventId: 'x', delivery: 'confirmed' });
  expectTypeOf(confirmed).toEqualTypeOf<ConfirmedSentEvent<{ orderId: string }>>();
  void bus.orders.cleared.fire(undefined, { eventId: 'x' });
  void bus.fire('orders.placed', { orderId: 'o-3' }, { eventId: 'x' });

  // @ts-expect-error an event id is a string
  void bus.orders.placed.fire({ orderId: 'o-4' }, { eventId: 42 });
  // @ts-expect-error nor null
  void bus.orders.placed.fire({ orderId: 'o-5' }, { eventId: null });
}
