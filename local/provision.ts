import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Logger } from '../runtime/logging';
import { ensureBusArchive } from './bus-archive';
import { ensureSubscription, ensureTopic } from './provision-topics';
import { deliveryStatement } from './queue-policy';
import { ensurePayloadBucket } from './payload-bucket';
import type { AwsClients } from '../runtime/transport';
import type { ListenerModel, QueueModel, Topology } from '../runtime/topology';

/** What provisioning created or found, for logs and for the worker (queue URLs). */
export interface ProvisionedTopology {
  readonly eventBusArn: string;
  readonly queueUrls: ReadonlyMap<string, string>;
  /** The SNS topics made or found (owned ones and those listeners subscribe to), by topic name. */
  readonly topicArns: ReadonlyMap<string, string>;
  /** The payload bucket's name (`<bus>-payloads-<account>-<region>`). */
  readonly payloadBucket: string;
}

export interface ProvisionOptions {
  /**
   * Create the bus's history archive `<bus>-history` (for `lightbus replay` and `inspect --since`).
   * A benchmark may leave it out: the endpoint then stores no copy of each event.
   * @default true
   */
  readonly archive?: boolean;
}

/**
 * Renders a topology onto an AWS-compatible endpoint with the SDK: creates what is missing and
 * brings what exists up to date, so it is safe to run on every start. This is the local twin of
 * the CDK construct; both read the same `Topology` and neither lists resources of its own.
 */
export async function provisionTopology(
  topology: Topology,
  clients: AwsClients,
  logger: Logger,
  options: ProvisionOptions = {},
): Promise<ProvisionedTopology> {
  const eventBusArn = await ensureEventBus(clients, topology.eventBus.name);
  if (options.archive !== false) await ensureBusArchive(clients, topology.busName, eventBusArn, logger);
  await ensureResultsTable(clients, topology);
  const payloadBucket = await ensurePayloadBucket(clients, topology, eventBusArn);
  const queueUrls = new Map<string, string>();
  const queues: QueueModel[] = [...topology.rpcQueues, ...topology.listeners];
  await Promise.all(
    queues.map(async (model) => {
      const url = await ensureQueueWithDeadLetter(clients, model);
      queueUrls.set(model.queueName, url);
    }),
  );
  const topicArns = await ensureTopics(clients, topology);
  await Promise.all(
    topology.listeners.map((listener) =>
      ensureListenerFeeds(clients, topology.eventBus.name, listener, queueUrls.get(listener.queueName) as string, topicArns),
    ),
  );
  logger.info('Provisioned the bus resources', {
    eventBus: topology.eventBus.name,
    resultsTable: topology.resultsTable.name,
    payloadBucket,
    queues: queues.map((q) => q.queueName),
    rules: topology.listeners.filter((l) => l.onEventBridge).map((l) => l.ruleName),
    ...(topicArns.size > 0 ? { topics: [...topicArns.keys()] } : {}),
  });
  return { eventBusArn, queueUrls, topicArns, payloadBucket };
}

/** The topics of the service's SNS APIs, and of the SNS APIs its listeners take events of. */
async function ensureTopics(clients: AwsClients, topology: Topology): Promise<Map<string, string>> {
  const names = new Set([...(topology.topics ?? []).map((t) => t.topicName), ...topology.listeners.flatMap((l) => l.subscriptions.map((s) => s.topicName))]);
  const arns = new Map<string, string>();
  await Promise.all([...names].sort().map(async (name) => arns.set(name, await ensureTopic(clients, name))));
  return arns;
}

/**
 * What feeds a listener queue: its EventBridge rule (for events of APIs on EventBridge), its
 * topic subscriptions (for APIs on SNS), and the queue policy admitting exactly those.
 */
async function ensureListenerFeeds(
  clients: AwsClients,
  eventBusName: string,
  listener: ListenerModel,
  queueUrl: string,
  topicArns: ReadonlyMap<string, string>,
): Promise<void> {
  const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = attributes.Attributes?.QueueArn as string;
  const statements: Record<string, unknown>[] = [];
  if (listener.onEventBridge) statements.push(await ensureRule(clients, eventBusName, listener, queueArn));
  const subscribed = listener.subscriptions.map((s) => topicArns.get(s.topicName) as string);
  await Promise.all(listener.subscriptions.map((s, index) => ensureSubscription(clients, subscribed[index] as string, queueArn, s)));
  if (subscribed.length > 0) statements.push(deliveryStatement('AllowTopicDelivery', 'sns.amazonaws.com', queueArn, subscribed));
  // Real SQS accepts deliveries only with this policy; the emulator does not check.
  await clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) },
    }),
  );
}

async function ensureEventBus(clients: AwsClients, name: string): Promise<string> {
  try {
    const existing = await clients.eventBridge.send(new DescribeEventBusCommand({ Name: name }));
    if (existing.Arn) return existing.Arn;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    const created = await clients.eventBridge.send(new CreateEventBusCommand({ Name: name }));
    return created.EventBusArn ?? '';
  } catch (error) {
    // Another worker created it between our describe and create.
    if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    const existing = await clients.eventBridge.send(new DescribeEventBusCommand({ Name: name }));
    return existing.Arn ?? '';
  }
}

/** Creates the results table if it is missing (idempotent), and waits until it exists. */
export async function ensureResultsTable(clients: AwsClients, topology: Topology): Promise<void> {
  const { name, partitionKey, timeToLiveAttribute } = topology.resultsTable;
  let created = false;
  try {
    await clients.dynamoDb.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    try {
      await clients.dynamoDb.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
          SSESpecification: { Enabled: true },
          // `lightbus dashboard` shows RPC calls from this stream: it costs the workers no call.
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
        }),
      );
      created = true;
    } catch (createError) {
      if (!(createError instanceof ResourceInUseException) && (createError as Error).name !== 'ResourceInUseException') {
        throw createError;
      }
    }
  }
  await waitUntilTableExists({ client: clients.dynamoDb, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
  if (created) {
    await clients.dynamoDb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

async function ensureQueue(clients: AwsClients, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  // CreateQueue without attributes returns the existing queue's URL whatever its settings;
  // SetQueueAttributes then brings them up to date. Together: create-or-update. A FIFO queue must
  // say so when it is created (an ordered listener's queue and its dead-letter queue).
  const fifo = name.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {};
  const created = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, ...fifo }));
  const url = created.QueueUrl as string;
  await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const described = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: described.Attributes?.QueueArn as string };
}

async function ensureQueueWithDeadLetter(clients: AwsClients, model: QueueModel): Promise<string> {
  const deadLetter = await ensureQueue(clients, model.deadLetterQueueName, {
    MessageRetentionPeriod: String(model.deadLetterRetentionSeconds),
    SqsManagedSseEnabled: 'true',
  });
  const queue = await ensureQueue(clients, model.queueName, {
    VisibilityTimeout: String(model.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: model.redriveMaxReceiveCount }),
    SqsManagedSseEnabled: 'true',
  });
  return queue.url;
}

/** The listener's rule and its target; returns the queue policy statement that admits the rule. */
async function ensureRule(clients: AwsClients, eventBusName: string, listener: ListenerModel, queueArn: string): Promise<Record<string, unknown>> {
  const rule = await clients.eventBridge.send(
    new PutRuleCommand({
      Name: listener.ruleName,
      EventBusName: eventBusName,
      EventPattern: JSON.stringify(listener.eventPattern),
      State: 'ENABLED',
      Description: `lightbus listener ${listener.listenerName}: ${listener.events.map((e) => `${e.api}.${e.event}`).join(', ')}`,
    }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: listener.ruleName,
      EventBusName: eventBusName,
      Targets: [{ Id: 'listener-queue', Arn: queueArn }],
    }),
  );
  return deliveryStatement('AllowRuleDelivery', 'events.amazonaws.com', queueArn, rule.RuleArn as string);
}
