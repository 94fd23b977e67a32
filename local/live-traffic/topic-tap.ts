import { paginateListTopics, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { eventTopicName } from '../../runtime/topology';
import type { AwsClients } from '../../runtime/transport';

/**
 * Which of the bus's SNS topics (APIs on `transports.event: sns` / `sns-fifo`) the tap subscribes
 * its temporary queue to: the topics of one API, or every `<bus>-events-*` topic.
 */
export interface TopicSelection {
  readonly busName: string;
  /** The API filtered on (`--api`): an exact name taps only that API's topic; absent or a `*` pattern: every topic of the bus. */
  readonly api?: string;
}

/** A subscription the tap made, to remove on exit. */
export interface TapSubscription {
  readonly topicArn: string;
  readonly subscriptionArn: string;
}

const nameOf = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/** The ARNs of the selected topics that exist (ListTopics, every page). */
export async function findTappedTopics(clients: AwsClients, selection: TopicSelection): Promise<string[]> {
  const { busName, api } = selection;
  const exact = api !== undefined && !api.includes('*') ? new Set([eventTopicName(busName, api), eventTopicName(busName, api, true)]) : undefined;
  const prefix = `${busName}-events-`;
  const arns: string[] = [];
  for await (const page of paginateListTopics({ client: clients.sns }, {})) {
    for (const topic of page.Topics ?? []) {
      const arn = topic.TopicArn;
      if (arn === undefined) continue;
      const name = nameOf(arn);
      if (exact ? exact.has(name) : name.startsWith(prefix)) arns.push(arn);
    }
  }
  return arns.sort();
}

/**
 * Subscribes the queue to each topic: not raw, so each message names its topic (see
 * delivery.ts), and unfiltered (the tap's own filters apply to what arrives). A FIFO topic
 * delivers to a standard queue (without order, which the tap does not need). Records each
 * subscription as soon as it exists, so a failure part-way still removes what was made.
 */
export async function subscribeTap(clients: AwsClients, queueArn: string, topicArns: readonly string[], made: TapSubscription[]): Promise<void> {
  for (const topicArn of topicArns) {
    const out = await clients.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'false' }, ReturnSubscriptionArn: true }),
    );
    if (out.SubscriptionArn) made.push({ topicArn, subscriptionArn: out.SubscriptionArn });
  }
}

export async function unsubscribeTap(clients: AwsClients, subscription: TapSubscription): Promise<void> {
  await clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription.subscriptionArn }));
}

