import { InvalidDefinitionError, lightbus, z } from '../../runtime';
import { resolveBusSettings } from '../../runtime/config';
import { deadLetterQueueName, eventTopicName } from '../../runtime/topology';
import { messageGroupOf } from '../../runtime/transport';

const ordersApi = lightbus.api('orders', {
  events: {
    changed: lightbus.event({ parameters: { orderId: z.string(), seq: z.number().int() } }),
    purged: lightbus.event({ parameters: { before: z.string() } }),
  },
});
const fifo = { orders: { transports: { event: 'sns-fifo' as const }, orderedBy: 'orderId' } };

function errorOf(fn: () => void): InvalidDefinitionError {
  try {
    fn();
  } catch (error) {
    return error as InvalidDefinitionError;
  }
  throw new Error('expected an error');
}

describe('ordered listeners: declaration and topology', () => {
  it('makes a FIFO queue and dead-letter queue for an ordered listener, a FIFO topic for its API', () => {
    const owner = lightbus.create({ busName: 'prod', serviceName: 'orders', apis: [ordersApi], apiSettings: fifo });
    owner.register(ordersApi, {});
    expect(owner.topology().topics).toEqual([{ api: 'orders', topicName: 'prod-events-orders.fifo', fifo: true }]);
    expect(owner.topology().permissions.publishTopics).toEqual(['prod-events-orders.fifo']);

    const bus = lightbus.create({ busName: 'prod', serviceName: 'ship', apis: [ordersApi], apiSettings: fifo });
    bus.orders.changed.listen(() => undefined, { listenerName: 'ship', ordered: { by: 'orderId' } });
    bus.orders.changed.listen(() => undefined, { listenerName: 'audit' });
    const [audit, ship] = bus.topology().listeners;
    expect(ship).toMatchObject({
      queueName: 'prod-listen-ship-ship.fifo',
      deadLetterQueueName: 'prod-listen-ship-ship-dlq.fifo',
      fifo: true,
      ordered: { by: 'orderId' },
      onEventBridge: false,
      subscriptions: [expect.objectContaining({ topicName: 'prod-events-orders.fifo' })],
    });
    // A plain listener of the same API keeps a standard queue, subscribed to the FIFO topic.
    expect(audit).toMatchObject({ queueName: 'prod-listen-ship-audit', subscriptions: [expect.objectContaining({ topicName: 'prod-events-orders.fifo' })] });
    expect(audit?.fifo).toBeUndefined();
    expect(eventTopicName('b', 'x'.repeat(300), true)).toMatch(/^.{251}\.fifo$/);
    expect(deadLetterQueueName('q')).toBe('q-dlq');
  });

  it('refuses an ordered listener on an event without the key parameter, naming api, event, listener and parameter', () => {
    const bus = lightbus.create({ busName: 'prod', serviceName: 'ship', apis: [ordersApi], apiSettings: fifo });
    const error = errorOf(() => bus.listen(['orders.changed', 'orders.purged'], () => undefined, { listenerName: 'ship', ordered: { by: 'orderId' } }));
    expect(error).toBeInstanceOf(InvalidDefinitionError);
    expect(error.message).toBe(
      'listen(ship): ordered by parameter "orderId", but event orders.purged has no parameter "orderId" (its parameters: before); ' +
        'an ordered listener takes only events that carry its key.',
    );
    expect(error.context).toMatchObject({ listenerName: 'ship', api: 'orders', member: 'purged', parameter: 'orderId' });
    expect(bus.topology().listeners).toEqual([]); // nothing was registered
  });

  it('refuses an ordered listener whose API is not on sns-fifo grouped by its key', () => {
    const onBus = lightbus.create({ busName: 'prod', serviceName: 'ship', apis: [ordersApi] });
    expect(errorOf(() => onBus.orders.changed.listen(() => undefined, { listenerName: 'ship', ordered: { by: 'orderId' } })).message).toBe(
      'listen(ship): ordered by parameter "orderId" for event orders.changed, but API orders has transports.event: eventbridge. ' +
        'Only an SNS FIFO topic keeps order per key: give API orders transports.event: sns-fifo and orderedBy: orderId, the same in every service on the bus (docs/transports.md).',
    );
    const otherKey = lightbus.create({ busName: 'prod', serviceName: 'ship', apis: [ordersApi], apiSettings: fifo });
    expect(errorOf(() => otherKey.orders.changed.listen(() => undefined, { listenerName: 'ship', ordered: { by: 'seq' } })).message).toMatch(
      /ordered by parameter "seq" for event orders\.changed, but its events are grouped by "orderId" \(apis\.orders\.orderedBy\)/,
    );
    expect(errorOf(() => otherKey.orders.changed.listen(() => undefined, { listenerName: 'ship', ordered: { by: '' } })).message).toBe(
      'listen(ship): ordered.by must name a parameter of its events; got "".',
    );
  });

  it('accepts sns-fifo and orderedBy in settings, and checks orderedBy given in code', () => {
    const settings = resolveBusSettings({ apiSettings: fifo }, {});
    expect(settings.apis.orders).toMatchObject({ transports: { event: 'sns-fifo' }, orderedBy: 'orderId' });
    expect(() => resolveBusSettings({ apiSettings: { orders: { orderedBy: 'order id' } } }, {})).toThrow(
      'apiSettings.orders.orderedBy must be a parameter name; got "order id".',
    );
  });

  it('uses a key value as its message group when SNS takes it, else a hash; equal values, equal groups', () => {
    expect(messageGroupOf('order-42')).toBe('order-42');
    expect(messageGroupOf(42)).toBe('42');
    expect(messageGroupOf('with space')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(messageGroupOf('x'.repeat(129))).toBe(messageGroupOf('x'.repeat(129)));
    expect(messageGroupOf('x'.repeat(129))).not.toBe(messageGroupOf('x'.repeat(130)));
  });
});
