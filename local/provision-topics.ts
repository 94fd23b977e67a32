import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import type { AwsClients } from '../runtime/transport';
import { FIFO_SUFFIX, type TopicSubscriptionModel } from '../runtime/topology';

/**
 * Creates an API's topic, or finds it: CreateTopic returns the existing topic's ARN for a name
 * that exists. A listening service's worker runs it too, for the topics it subscribes to, so that
 * local workers may start in any order (on AWS the owning service's deployment makes the topic).
 */
export async function ensureTopic(clients: AwsClients, topicName: string): Promise<string> {
  // A FIFO topic deduplicates by the id each event carries (its lightbus id), not by content.
  const fifo = topicName.endsWith(FIFO_SUFFIX) ? { Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } } : {};
  const created = await clients.sns.send(new CreateTopicCommand({ Name: topicName, ...fifo }));
  return created.TopicArn as string;
}

/** The attributes a subscription has, as SNS takes them (strings). */
function subscriptionAttributes(model: TopicSubscriptionModel): Record<string, string> {
  return {
    RawMessageDelivery: String(model.rawMessageDelivery),
    FilterPolicyScope: model.filterPolicyScope,
    FilterPolicy: JSON.stringify(model.filterPolicy),
  };
}

/**
 * Subscribes a listener queue to a topic, or brings its existing subscription up to date (a
 * listener that now takes more events widens its filter): safe on every start.
 */
export async function ensureSubscription(clients: AwsClients, topicArn: string, queueArn: string, model: TopicSubscriptionModel): Promise<string> {
  const attributes = subscriptionAttributes(model);
  let nextToken: string | undefined;
  do {
    const page = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(nextToken ? { NextToken: nextToken } : {}) }));
    const existing = page.Subscriptions?.find((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn && s.SubscriptionArn?.startsWith('arn:'));
    if (existing?.SubscriptionArn) {
      for (const [name, value] of Object.entries(attributes)) {
        await clients.sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: existing.SubscriptionArn, AttributeName: name, AttributeValue: value }));
      }
      return existing.SubscriptionArn;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const subscribed = await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  return subscribed.SubscriptionArn as string;
}

