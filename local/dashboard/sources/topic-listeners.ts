import { GetSubscriptionAttributesCommand, paginateListSubscriptionsByTopic } from '@aws-sdk/client-sns';
import type { EventTransportName } from '../../../runtime/topology';
import type { AwsClients } from '../../../runtime/transport';
import { findTappedTopics } from '../../live-traffic';

/** A listener queue's subscription to an API's SNS topic: how a listener of an API on SNS is fed. */
export interface TopicSubscriptionListener {
  readonly topic: string;
  readonly transport: Extract<EventTransportName, 'sns' | 'sns-fifo'>;
  /** The listener queue's name. */
  readonly queue: string;
  /** `api.event` names its filter policy lets through (`detail-type`). */
  readonly events: readonly string[];
}

const nameOf = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/**
 * The listener queues subscribed to the bus's topics (`<bus>-events-*`). Only `<bus>-listen-*`
 * queues count: the temporary queues of inspect and the dashboard are not listeners.
 */
export async function listTopicListeners(clients: AwsClients, busName: string): Promise<TopicSubscriptionListener[]> {
  let topics: string[];
  try {
    topics = await findTappedTopics(clients, { busName });
  } catch (error) {
    // Without SNS permissions the bus's EventBridge side is still worth showing.
    if (/AuthorizationError|AccessDenied/.test((error as Error).name)) return [];
    throw error;
  }
  const perTopic = await Promise.all(topics.map((topicArn) => subscriptionsOf(clients, busName, topicArn)));
  return perTopic.flat();
}

async function subscriptionsOf(clients: AwsClients, busName: string, topicArn: string): Promise<TopicSubscriptionListener[]> {
  const topic = nameOf(topicArn);
  const found: { arn: string; queue: string }[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client: clients.sns }, { TopicArn: topicArn })) {
    for (const s of page.Subscriptions ?? []) {
      const queue = s.Endpoint !== undefined ? nameOf(s.Endpoint) : '';
      // A pending or deleted subscription has no ARN yet ("PendingConfirmation").
      if (s.Protocol === 'sqs' && s.SubscriptionArn?.startsWith('arn:') && queue.startsWith(`${busName}-listen-`)) found.push({ arn: s.SubscriptionArn, queue });
    }
  }
  return Promise.all(
    found.map(async ({ arn, queue }) => {
      const attributes = await clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn })).catch(() => undefined);
      return { topic, transport: topic.endsWith('.fifo') ? 'sns-fifo' : 'sns', queue, events: eventsOfFilterPolicy(attributes?.Attributes?.FilterPolicy) } as const;
    }),
  );
}

/** `api.event` names from a listener subscription's filter policy (`detail-type` lists them, as a rule's pattern does). */
export function eventsOfFilterPolicy(policy: string | undefined): string[] {
  if (policy === undefined || policy === '') return [];
  try {
    const types = (JSON.parse(policy) as { 'detail-type'?: unknown })['detail-type'];
    return Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
