/**
 * The dashboard's listeners view on a bus with an API on SNS: listener queues subscribed to the
 * API's topic are listed as listeners (service/listener from the queue name, events from the
 * subscription's filter policy), next to the EventBridge rules, and the live view routes an SNS
 * event to them. Against the emulator, with real workers provisioning the resources.
 */
import { readBusOverview } from '../../local/dashboard/sources/bus-overview';
import type { WorkerState } from '../../local/dashboard/sources/worker-states';
import { eventsOfFilterPolicy } from '../../local/dashboard/sources/topic-listeners';
import { eventTopicName, listenerRuleName } from '../../runtime/topology';
import { lightbus, mathApi, startWorker, stopAll, testBusOptions, track, z } from '../support/bus';

afterEach(stopAll);

const auditApi = lightbus.api('audit', { rpcs: {}, events: { logged: lightbus.event({ parameters: { what: z.string() } }) } });

describe('dashboard listeners view: SNS subscriptions', () => {
  it('lists listener queues subscribed to an API topic as listeners, next to the rules of EventBridge APIs', async () => {
    const apiSettings = { math: { transports: { event: 'sns' as const } } };
    const watcher = track(lightbus.create(testBusOptions({ serviceName: 'watcher', apis: [mathApi, auditApi], apiSettings })));
    const busName = watcher.settings.busName;
    watcher.math.happened.listen(() => undefined, { listenerName: 'audit' });
    watcher.audit.logged.listen(() => undefined, { listenerName: 'trail' });
    await startWorker(watcher, { workerState: false });

    const overview = await readBusOverview({
      clients: watcher.transports.clients,
      busName,
      eventBusName: watcher.transports.location.eventBusName,
      resultsTable: watcher.transports.location.resultsTable,
      workers: [],
    });
    const bySubscription = overview.listeners.find((l) => l.transport === 'sns');
    expect(bySubscription).toEqual({
      rule: eventTopicName(busName, 'math'),
      transport: 'sns',
      topic: eventTopicName(busName, 'math'),
      events: ['math.happened'],
      queue: `${busName}-listen-watcher-audit`,
      service: 'watcher',
      listener: 'audit',
    });
    expect(overview.listeners.find((l) => l.transport === 'eventbridge')).toMatchObject({
      rule: listenerRuleName(busName, 'watcher', 'trail'),
      events: ['audit.logged'],
      service: 'watcher',
      listener: 'trail',
    });
    // Only listener queues: the tap's temporary queues are not listeners.
    expect(overview.listeners).toHaveLength(2);
  });

  it("names a subscribed listener by its worker's state when the service name has a dash (its queue name alone is ambiguous)", async () => {
    const apiSettings = { math: { transports: { event: 'sns' as const } } };
    const watcher = track(lightbus.create(testBusOptions({ serviceName: 'order-watch', apis: [mathApi], apiSettings })));
    const busName = watcher.settings.busName;
    watcher.math.happened.listen(() => undefined, { listenerName: 'audit' });
    await startWorker(watcher, { workerState: false });
    const state = { service: 'order-watch', workerId: 'w1', status: 'running', runtime: 'local', apis: [], listeners: [{ api: 'math', event: 'happened', listener: 'audit' }], version: '0', startedAt: '', lastSeenAt: '' } satisfies WorkerState;
    const location = watcher.transports.location;
    const read = (workers: WorkerState[]) =>
      readBusOverview({ clients: watcher.transports.clients, busName, eventBusName: location.eventBusName, resultsTable: location.resultsTable, workers });
    expect((await read([state])).listeners).toEqual([expect.objectContaining({ transport: 'sns', service: 'order-watch', listener: 'audit' })]);
    expect((await read([])).listeners).toEqual([expect.objectContaining({ transport: 'sns', service: 'order', listener: 'watch-audit' })]);
  });

  it('reads the events of a filter policy, and nothing from a policy it cannot read', () => {
    expect(eventsOfFilterPolicy(JSON.stringify({ source: ['lightbus.math'], 'detail-type': ['math.happened', 'math.other'] }))).toEqual(['math.happened', 'math.other']);
    expect(eventsOfFilterPolicy(undefined)).toEqual([]);
    expect(eventsOfFilterPolicy('not json')).toEqual([]);
  });
});
