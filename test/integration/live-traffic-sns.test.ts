/**
 * The live-traffic tap (`lightbus inspect`, the dashboard's live view) on APIs whose events travel
 * over SNS: the tap subscribes its temporary queue to the bus's topics, yields the same event as
 * for EventBridge (with the transport), and removes the subscriptions on exit. History (`replay`,
 * `inspect --since`) refuses an API on SNS: SNS keeps none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, type Bus } from '../../runtime';
import { eventTopicName } from '../../runtime/topology';
import type { AwsClients } from '../../runtime/transport';
import { findTappedTopics } from '../../local/live-traffic';
import { EventFeed } from '../../local/dashboard/sources/event-feed';
import type { TrafficEvent } from '../../local/dashboard/traffic';
import { uniqueName } from '../support/aws';
import { eventually, mathApi, stopAll, testBusOptions, track } from '../support/bus';
import { jsonLines, killAllCli, runCli, startCli } from '../support/cli';

afterEach(async () => {
  await killAllCli();
  await stopAll();
});

type MathBus = Bus<readonly [typeof mathApi]>;

/** A client firing `math` events over the given transport, on a bus whose event bus and math topic exist. */
async function snsBus(transport: 'sns' | 'sns-fifo', busName = uniqueName('tap')): Promise<MathBus> {
  const apiSettings = { math: transport === 'sns' ? { transports: { event: 'sns' as const } } : { transports: { event: 'sns-fifo' as const }, orderedBy: 'n' } };
  const bus = track(lightbus.create(testBusOptions({ busName, serviceName: 'mathsvc', apis: [mathApi], apiSettings })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  const { sns, eventBridge } = bus.transports.clients;
  await eventBridge.send(new CreateEventBusCommand({ Name: busName })).catch(() => undefined);
  const fifo = transport === 'sns-fifo';
  await sns.send(new CreateTopicCommand({ Name: eventTopicName(busName, 'math', fifo), ...(fifo ? { Attributes: { FifoTopic: 'true' } } : {}) }));
  return bus;
}

/** The queues subscribed to a topic of the bus (found by ListTopics). */
async function subscribedQueues(clients: AwsClients, busName: string, topicName: string): Promise<string[]> {
  const topicArn = (await findTappedTopics(clients, { busName })).find((arn) => arn.endsWith(`:${topicName}`));
  const out = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  return (out.Subscriptions ?? []).map((s) => (s.Endpoint ?? '').slice((s.Endpoint ?? '').lastIndexOf(':') + 1));
}

describe('emulator contract: what the tap relies on', () => {
  it.each([false, true])('a topic (FIFO: %s) delivers to a standard queue, as a notification naming the topic when not raw', async (fifo) => {
    const bus = track(lightbus.create(testBusOptions({})));
    const { sns, sqs } = bus.transports.clients;
    const topicName = `${uniqueName('contract')}${fifo ? '.fifo' : ''}`;
    const topic = await sns.send(new CreateTopicCommand({ Name: topicName, ...(fifo ? { Attributes: { FifoTopic: 'true' } } : {}) }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('contract-q') }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'false' } }));
    const published = await sns.send(
      new PublishCommand({ TopicArn: topic.TopicArn, Message: JSON.stringify({ n: 1 }), ...(fifo ? { MessageGroupId: 'g', MessageDeduplicationId: 'd1' } : {}) }),
    );
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect((out.Messages ?? []).map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({ Type: 'Notification', TopicArn: topic.TopicArn, MessageId: published.MessageId, Message: JSON.stringify({ n: 1 }) }),
    ]);
  });
});

describe('lightbus inspect on an API on SNS', () => {
  it('shows an event fired over SNS, with its transport and SNS message id, and removes its subscription on SIGINT', async () => {
    const bus = await snsBus('sns');
    const busName = bus.settings.busName;
    const topicName = eventTopicName(busName, 'math');
    const cli = startCli(['inspect', '--local', '--bus-name', busName, '--follow', '--format', 'json', '--api', 'math']);
    const started = JSON.parse(await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'))) as { queue: string; topics: string[] };
    expect(started.topics).toEqual([topicName]);
    expect(await subscribedQueues(bus.transports.clients, busName, topicName)).toEqual([started.queue]);

    const sent = await bus.math.happened.fire({ n: 7, label: 'over sns' });
    const line = await cli.waitForLine('stdout', (l) => l.includes(sent.id));
    expect(JSON.parse(line)).toMatchObject({
      id: sent.id,
      eventBridgeId: sent.eventBridgeId, // SNS's message id, as fire() reported it
      api: 'math',
      event: 'happened',
      parameters: { n: 7, label: 'over sns' },
      sender: expect.objectContaining({ service: 'mathsvc' }),
      transport: 'sns',
    });

    cli.child.kill('SIGINT');
    expect((await cli.exited).code).toBe(0);
    const removed = jsonLines(cli.stderr()).find((l) => l.message === 'Removed the temporary rule and queue');
    expect(removed?.subscriptions).toHaveLength(1);
    expect(await subscribedQueues(bus.transports.clients, busName, topicName)).toEqual([]);
    await expect(bus.transports.clients.sqs.send(new GetQueueUrlCommand({ QueueName: started.queue }))).rejects.toBeDefined();
  });

  it('without --api taps every topic of the bus; pretty output names the transport', async () => {
    const bus = await snsBus('sns');
    const busName = bus.settings.busName;
    const cli = startCli(['inspect', '--local', '--bus-name', busName, '--duration', '4s']);
    const started = JSON.parse(await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'))) as { topics: string[] };
    expect(started.topics).toEqual([eventTopicName(busName, 'math')]);
    const sent = await bus.math.happened.fire({ n: 1 });
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout()).toContain(`math.happened  id=${sent.id}  from mathsvc/`);
    expect(cli.stdout()).toMatch(new RegExp(`id=${sent.id}  from mathsvc/\\S*  via sns\\n`));
    // Removed after --duration too.
    expect(await subscribedQueues(bus.transports.clients, busName, eventTopicName(busName, 'math'))).toEqual([]);
  });
});

describe('the dashboard event feed on an API on SNS FIFO', () => {
  it('gets the event with its transport and routes, and removes its subscription on stop', async () => {
    const bus = await snsBus('sns-fifo');
    const busName = bus.settings.busName;
    const clients = bus.transports.clients;
    const seen: TrafficEvent[] = [];
    const feed = new EventFeed({
      clients,
      busName,
      eventBusName: busName,
      routeOf: (api, event) => (api === 'math' && event === 'happened' ? [{ rule: eventTopicName(busName, 'math', true), service: 'w', listener: 'l' }] : []),
      onEvent: (event) => void seen.push(event),
      receivers: 1,
      waitTimeSeconds: 1,
    });
    try {
      await feed.start();
      expect(feed.temporaryResources?.topics).toEqual([eventTopicName(busName, 'math', true)]);
      const sent = await bus.math.happened.fire({ n: 3 });
      await eventually(() => seen.some((e) => e.id === sent.id), 15_000, 'the feed to see the FIFO event');
      expect(seen.find((e) => e.id === sent.id)).toMatchObject({ kind: 'event', api: 'math', name: 'happened', parameters: { n: 3 }, transport: 'sns-fifo', routedTo: [{ listener: 'l' }] });
    } finally {
      expect(await feed.stop()).toEqual([]);
    }
    expect(await subscribedQueues(clients, busName, eventTopicName(busName, 'math', true))).toEqual([]);
  });
});

describe('history of an API on SNS', () => {
  it('lightbus replay and inspect --since refuse it, naming the API (found by its topic, or by the configuration)', async () => {
    const bus = await snsBus('sns');
    const busName = bus.settings.busName;
    const replay = await runCli(['replay', '--local', '--bus-name', busName, '--service-name', 'watcher', '--listener', 'audit', '--api', 'math', '--from', '1h']);
    expect(replay.code).not.toBe(0);
    expect(replay.stderr).toContain('API "math" has no history');
    expect(replay.stderr).toContain('SNS keeps no history');

    const since = await runCli(['inspect', '--local', '--bus-name', busName, '--since', '1h', '--api', 'math', '--duration', '1s']);
    expect(since.code).not.toBe(0);
    expect(since.stderr).toContain('lightbus inspect --since: API "math" has no history');

    // No topic yet, but the configuration says the API is on SNS FIFO.
    const dir = mkdtempSync(join(tmpdir(), 'lightbus-sns-'));
    try {
      const config = join(dir, 'lightbus.yaml');
      writeFileSync(config, `bus:\n  name: ${uniqueName('cfg')}\napis:\n  orders:\n    transports:\n      event: sns-fifo\n    orderedBy: orderId\n`);
      const configured = await runCli(['replay', '--local', '--config', config, '--service-name', 'watcher', '--listener', 'audit', '--api', 'orders', '--from', '1h']);
      expect(configured.code).not.toBe(0);
      expect(configured.stderr).toContain('API "orders" has no history. Its events travel over SNS (transports.event: sns-fifo');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
