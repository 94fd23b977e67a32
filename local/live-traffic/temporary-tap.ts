import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { DeleteRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { ConfigurationError } from '../../runtime/errors';
import type { AwsClients } from '../../runtime/transport';
import { deliveryStatement } from '../queue-policy';
import { findTappedTopics, subscribeTap, unsubscribeTap, type TapSubscription, type TopicSelection } from './topic-tap';

/**
 * The temporary EventBridge rule + SQS queue through which `lightbus inspect` and the dashboard
 * see the events on a bus as they are fired, and the queue's subscriptions to the bus's SNS topics
 * (APIs on `transports.event: sns` / `sns-fifo`), so both transports arrive on one queue. Create
 * with {@link createTemporaryResources}, always remove with {@link removeTemporaryResources};
 * read each message with `readTapDelivery`.
 */
export interface TemporaryResources {
  eventBusName: string;
  ruleName: string;
  queueName: string;
  queueUrl?: string;
  ruleCreated?: boolean;
  ruleArn?: string;
  targetAdded?: boolean;
  /** The rule's description in the console. @default says it is inspect's */
  description?: string;
  /** Also subscribe the queue to these SNS topics of the bus. @default EventBridge only */
  topics?: TopicSelection;
  /** The topic subscriptions made (removed on exit). */
  subscriptions?: TapSubscription[];
  /**
   * Why the topics could not be (all) tapped, e.g. no `sns:ListTopics` or `sns:Subscribe`
   * permission: EventBridge's events still flow, so the caller warns instead of failing.
   */
  topicProblem?: string;
}

const TARGET_ID = 'lightbus-inspect';

export async function createTemporaryResources(clients: AwsClients, resources: TemporaryResources, pattern: Record<string, unknown>): Promise<void> {
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: resources.queueName,
      // If inspect is killed before it cleans up, what it leaves behind holds nothing for long.
      Attributes: { MessageRetentionPeriod: '3600', SqsManagedSseEnabled: 'true' },
    }),
  );
  resources.queueUrl = queue.QueueUrl as string;
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = attributes.Attributes?.QueueArn as string;
  let topicArns: string[] = [];
  if (resources.topics !== undefined) {
    try {
      topicArns = await findTappedTopics(clients, resources.topics);
    } catch (error) {
      resources.topicProblem = `could not list the SNS topics: ${(error as Error).message}`;
    }
  }
  let ruleArn: string | undefined;
  try {
    const rule = await clients.eventBridge.send(
      new PutRuleCommand({
        Name: resources.ruleName,
        EventBusName: resources.eventBusName,
        EventPattern: JSON.stringify(pattern),
        State: 'ENABLED',
        Description: resources.description ?? 'Temporary rule of `lightbus inspect`; removed when it exits.',
      }),
    );
    ruleArn = rule.RuleArn;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new ConfigurationError(
        `The event bus "${resources.eventBusName}" does not exist: check the bus name (--bus-name, the configuration file's bus.name, ` +
          'LIGHTBUS_BUS_NAME) and the endpoint. A bus is created by its deployment, or by `lightbus run --local`.',
        { eventBus: resources.eventBusName },
      );
    }
    throw error;
  }
  resources.ruleCreated = true;
  resources.ruleArn = ruleArn;
  // Real SQS accepts EventBridge's (and SNS's) deliveries only with this policy.
  await clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: resources.queueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            deliveryStatement('AllowInspectRule', 'events.amazonaws.com', queueArn, ruleArn as string),
            ...(topicArns.length > 0 ? [deliveryStatement('AllowTappedTopics', 'sns.amazonaws.com', queueArn, topicArns)] : []),
          ],
        }),
      },
    }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: resources.ruleName,
      EventBusName: resources.eventBusName,
      Targets: [{ Id: TARGET_ID, Arn: queueArn }],
    }),
  );
  resources.targetAdded = true;
  resources.subscriptions = [];
  try {
    await subscribeTap(clients, queueArn, topicArns, resources.subscriptions);
  } catch (error) {
    resources.topicProblem = `could not subscribe to every SNS topic: ${(error as Error).message}`;
  }
}

/** Removes what was created, in reverse; returns what failed instead of throwing. */
export async function removeTemporaryResources(clients: AwsClients, resources: TemporaryResources): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  for (const subscription of resources.subscriptions ?? []) {
    await attempt(`remove the subscription ${subscription.subscriptionArn}`, () => unsubscribeTap(clients, subscription));
  }
  if (resources.targetAdded) {
    await attempt('remove the rule target', () =>
      clients.eventBridge.send(new RemoveTargetsCommand({ Rule: resources.ruleName, EventBusName: resources.eventBusName, Ids: [TARGET_ID] })),
    );
  }
  if (resources.ruleCreated) {
    await attempt(`delete the rule ${resources.ruleName}`, () =>
      clients.eventBridge.send(new DeleteRuleCommand({ Name: resources.ruleName, EventBusName: resources.eventBusName })),
    );
  }
  if (resources.queueUrl !== undefined) {
    const queueUrl = resources.queueUrl;
    await attempt(`delete the queue ${resources.queueName}`, () => clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })));
  }
  return problems;
}

