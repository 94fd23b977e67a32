import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { apiSlug, type Topology } from '../runtime/topology';

/** A service's SNS topics and its listener queues' subscriptions, as {@link createServiceTopics} makes them. */
export interface ServiceTopics {
  /** The topics of the APIs this service registers whose events travel over SNS, by topic name. */
  readonly topics: ReadonlyMap<string, sns.Topic>;
  /** Subscriptions by `<listener name>:<topic name>`. */
  readonly subscriptions: ReadonlyMap<string, sns.Subscription>;
}

/** `arn:<partition>:sns:<region>:<account>:<topic>` in the stack's account and region: how a listener finds a topic by name. */
export function topicArnOf(scope: IConstruct, topicName: string): string {
  return Stack.of(scope).formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
}

/** `arn:<partition>:sns:<region>:<account>:` (LIGHTBUS_TOPIC_ARN_PREFIX): the runtime appends a topic name. */
export function topicArnPrefixOf(scope: IConstruct): string {
  return topicArnOf(scope, '');
}

/**
 * For each registered API on SNS its topic (the owning service's, as the request queue is), and
 * for each listener a subscription per SNS API it takes events of: raw delivery, filtered on the
 * body (see TopicSubscriptionModel). A topic of another service is found by name, as a rule finds
 * the bus: that service's stack must be deployed first (a subscription to a missing topic fails).
 * The subscription adds the queue policy that admits that topic only (aws:SourceArn).
 */
export function createServiceTopics(scope: Construct, topology: Topology, queues: ReadonlyMap<string, sqs.IQueue>): ServiceTopics {
  const topics = new Map<string, sns.Topic>();
  for (const model of topology.topics) {
    // A FIFO topic deduplicates by the event id each message carries, not by content.
    const fifo = model.fifo ? { fifo: true, contentBasedDeduplication: false } : {};
    topics.set(model.topicName, new sns.Topic(scope, `EventTopic-${apiSlug(model.api)}`, { topicName: model.topicName, enforceSSL: true, ...fifo }));
  }
  const imported = new Map<string, sns.ITopic>();
  const topicNamed = (api: string, topicName: string): sns.ITopic => {
    const own = topics.get(topicName) ?? imported.get(topicName);
    if (own) return own;
    const found = sns.Topic.fromTopicArn(scope, `ListenedTopic-${apiSlug(api)}`, topicArnOf(scope, topicName));
    imported.set(topicName, found);
    return found;
  };
  const made = new Map<string, sns.Subscription>();
  for (const listener of topology.listeners) {
    const queue = queues.get(listener.queueName);
    if (!queue) continue;
    for (const model of listener.subscriptions) {
      const topic = topicNamed(model.api, model.topicName);
      const subscription = new subscriptions.SqsSubscription(queue, {
        rawMessageDelivery: model.rawMessageDelivery,
        filterPolicyWithMessageBody: {
          source: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: [...model.filterPolicy.source] })),
          'detail-type': sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: [...model.filterPolicy['detail-type']] })),
        },
      });
      made.set(`${listener.listenerName}:${model.topicName}`, topic.addSubscription(subscription));
    }
  }
  return { topics, subscriptions: made };
}

/** Lets `grantee` publish the events of its registered APIs on SNS: sns:Publish (PublishBatch's action) on those topics only. */
export function grantPublishTopics(scope: IConstruct, topology: Topology, grantee: iam.IGrantable): void {
  if (topology.permissions.publishTopics.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['sns:Publish'],
    resourceArns: topology.permissions.publishTopics.map((name) => topicArnOf(scope, name)),
  });
}
