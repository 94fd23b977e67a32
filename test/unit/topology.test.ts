import { lightbus, z } from '../../runtime';
import { fifoRedriveMaxReceiveCount, fitName, listenerQueueName, rpcQueueName } from '../../runtime/topology';

const authApi = lightbus.api('auth', {
  rpcs: { check: lightbus.rpc({ parameters: { u: z.string() }, response: z.boolean() }) },
});
const customersApi = lightbus.api('customers', { events: { created: lightbus.event({}), deleted: lightbus.event({}) } });
const caseApi = lightbus.api('support.case', { events: { opened: lightbus.event({}) } });

describe('deriveTopology(): every resource from the bus module', () => {
  it('derives queues, rules, table and permissions from registrations and listeners', () => {
    const bus = lightbus.create({ busName: 'prod', serviceName: 'auth', apis: [authApi, customersApi, caseApi] });
    bus.register(authApi, { check: () => true });
    bus.listen(['customers.created', 'customers.deleted', 'support.case.opened'], () => undefined, { listenerName: 'sync', maxReceives: 4 });
    const topology = bus.topology();
    expect(topology.eventBus.name).toBe('prod');
    expect(topology.resultsTable).toEqual({ name: 'prod-results', partitionKey: 'pk', timeToLiveAttribute: 'expiresAt' });
    expect(topology.rpcQueues).toEqual([
      expect.objectContaining({ api: 'auth', queueName: 'prod-rpc-auth', deadLetterQueueName: 'prod-rpc-auth-dlq' }),
    ]);
    expect(topology.listeners).toEqual([
      expect.objectContaining({
        listenerName: 'sync',
        queueName: 'prod-listen-auth-sync',
        deadLetterQueueName: 'prod-listen-auth-sync-dlq',
        ruleName: 'prod-auth-sync',
        maxReceives: 4,
        redriveMaxReceiveCount: 5,
        eventPattern: {
          source: ['lightbus.customers', 'lightbus.support.case'],
          'detail-type': ['customers.created', 'customers.deleted', 'support.case.opened'],
        },
      }),
    ]);
    expect(topology.permissions).toEqual({ fireSources: ['lightbus.auth'], publishTopics: [], callsApis: ['customers', 'support.case'] });
    expect(topology.topics).toEqual([]);
    expect(topology.listeners[0]).toMatchObject({ onEventBridge: true, subscriptions: [] });
    // Plain data: survives a JSON round trip unchanged (the CDK construct may serialise it).
    expect(JSON.parse(JSON.stringify(topology))).toEqual(topology);
  });

  it('gives an API of events only no request queue, but still lets its service fire', () => {
    const bus = lightbus.create({ busName: 'prod', serviceName: 'customers', apis: [customersApi] });
    bus.register(customersApi, {});
    const topology = bus.topology();
    expect(topology.rpcQueues).toEqual([]);
    expect(topology.permissions.fireSources).toEqual(['lightbus.customers']);
  });

  it('puts an API on SNS (transports.event: sns): its topic, publish rights instead of a source, a subscription instead of rule events', () => {
    const onSns = { customers: { transports: { event: 'sns' as const } } };
    const owner = lightbus.create({ busName: 'prod', serviceName: 'customers', apis: [customersApi, caseApi], apiSettings: onSns });
    owner.register(customersApi, {});
    owner.register(caseApi, {});
    expect(owner.topology().topics).toEqual([{ api: 'customers', topicName: 'prod-events-customers', fifo: false }]);
    expect(owner.topology().permissions).toMatchObject({ fireSources: ['lightbus.support.case'], publishTopics: ['prod-events-customers'] });

    const bus = lightbus.create({ busName: 'prod', serviceName: 'auth', apis: [customersApi, caseApi], apiSettings: onSns });
    bus.listen(['customers.created', 'customers.deleted', 'support.case.opened'], () => undefined, { listenerName: 'sync' });
    bus.listen(['customers.created'], () => undefined, { listenerName: 'onlySns' });
    const [onlySns, sync] = bus.topology().listeners;
    expect(bus.topology().topics).toEqual([]); // a listener does not own the topic
    expect(sync).toMatchObject({
      onEventBridge: true,
      eventPattern: { source: ['lightbus.support.case'], 'detail-type': ['support.case.opened'] },
      subscriptions: [
        {
          api: 'customers',
          topicName: 'prod-events-customers',
          filterPolicy: { source: ['lightbus.customers'], 'detail-type': ['customers.created', 'customers.deleted'] },
          filterPolicyScope: 'MessageBody',
          rawMessageDelivery: true,
        },
      ],
    });
    expect(onlySns).toMatchObject({ onEventBridge: false, eventPattern: { source: [], 'detail-type': [] } });
    expect(onlySns?.subscriptions.map((s) => s.filterPolicy['detail-type'])).toEqual([['customers.created']]);
  });

  it('maps dotted API names to dashes and keeps long names within AWS limits', () => {
    expect(rpcQueueName('b', 'support.case')).toBe('b-rpc-support-case');
    const long = listenerQueueName('a-very-long-bus-name-for-testing', 'a-long-service-name', 'a-listener-with-a-long-name-too');
    expect(long.length).toBeLessThanOrEqual(76);
    expect(long).toMatch(/-[0-9a-f]{8}$/);
    expect(fitName('x'.repeat(100), 64)).toHaveLength(64);
    // Different long names stay different.
    expect(fitName(`${'x'.repeat(100)}a`, 64)).not.toBe(fitName(`${'x'.repeat(100)}b`, 64));
  });

  it('refuses a bus name that cannot be part of a resource name, or is too long', () => {
    expect(() => lightbus.create({ busName: 'has space' }).topology()).toThrow(/Invalid bus name "has space"/);
    expect(() => lightbus.create({ busName: 'b'.repeat(41) }).topology()).toThrow(/at most 40 characters; it has 41/);
  });

  it("uses a deployment's event bus and table names, so provisioning and clients agree", () => {
    const saved = { ...process.env };
    process.env.LIGHTBUS_EVENT_BUS_NAME = 'shared-events';
    process.env.LIGHTBUS_RESULTS_TABLE = 'shared-results';
    try {
      const topology = lightbus.create({ busName: 'b' }).topology();
      expect(topology.eventBus.name).toBe('shared-events');
      expect(topology.resultsTable.name).toBe('shared-results');
    } finally {
      process.env = saved;
    }
  });

  it('gives an ordered listener\'s FIFO queue a far redrive bound (the dispatcher counts runs), a standard queue maxReceives + 1', () => {
    // Held back unrun up to 9 times per run of each earlier message received with it, a FIFO message
    // can be received about 10 × maxReceives times before its own last run: SQS must not move it first.
    expect(fifoRedriveMaxReceiveCount(3)).toBe(100);
    expect(fifoRedriveMaxReceiveCount(10)).toBe(200);
    expect(fifoRedriveMaxReceiveCount(40)).toBe(800);
    expect(fifoRedriveMaxReceiveCount(400)).toBe(1000);
    for (const maxReceives of [1, 3, 5, 10, 25, 50]) expect(fifoRedriveMaxReceiveCount(maxReceives)).toBeGreaterThan(10 * maxReceives);
  });
});
