import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { apiSlug, type QueueModel, type Topology } from '../runtime/topology';

/** A service's queues and listener rules, as {@link createServiceQueues} makes them. */
export interface ServiceQueues {
  /** Request and listener queues, by queue name. */
  readonly queues: ReadonlyMap<string, sqs.Queue>;
  /** Dead-letter queues, by the name of the queue they serve. */
  readonly deadLetterQueues: ReadonlyMap<string, sqs.Queue>;
  /** Listener rules, by listener name. */
  readonly rules: ReadonlyMap<string, events.Rule>;
}

/**
 * For each API a request queue, for each listener a queue and an EventBridge rule on the bus that
 * feeds it (when it takes events of an API on EventBridge); each queue with its dead-letter queue, all encrypted and TLS-only.
 */
export function createServiceQueues(scope: Construct, topology: Topology, eventBus: events.IEventBus): ServiceQueues {
  const queues = new Map<string, sqs.Queue>();
  const deadLetterQueues = new Map<string, sqs.Queue>();
  const rules = new Map<string, events.Rule>();
  const queueFor = (roleId: string, model: QueueModel): sqs.Queue => {
    const deadLetterQueue = new sqs.Queue(scope, `${roleId}-DLQ`, {
      queueName: model.deadLetterQueueName,
      retentionPeriod: Duration.seconds(model.deadLetterRetentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // An ordered listener's queue is FIFO, and so must its dead-letter queue be.
      ...(model.fifo ? { fifo: true } : {}),
    });
    const queue = new sqs.Queue(scope, roleId, {
      queueName: model.queueName,
      visibilityTimeout: Duration.seconds(model.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: model.redriveMaxReceiveCount },
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      ...(model.fifo ? { fifo: true } : {}),
    });
    queues.set(model.queueName, queue);
    deadLetterQueues.set(model.queueName, deadLetterQueue);
    return queue;
  };
  for (const model of topology.rpcQueues) queueFor(`RpcQueue-${apiSlug(model.api)}`, model);
  for (const model of topology.listeners) {
    const queue = queueFor(`ListenerQueue-${model.listenerName}`, model);
    // A listener of SNS APIs only has no rule: its subscriptions feed it (service-topics.ts).
    if (!model.onEventBridge) continue;
    const rule = new events.Rule(scope, `ListenerRule-${model.listenerName}`, {
      ruleName: model.ruleName,
      eventBus,
      description: `lightbus listener ${model.listenerName}: ${model.events.map((e) => `${e.api}.${e.event}`).join(', ')}`,
      eventPattern: { source: [...model.eventPattern.source], detailType: [...model.eventPattern['detail-type']] },
    });
    // The target adds the queue policy that admits this rule only (aws:SourceArn).
    rule.addTarget(new targets.SqsQueue(queue));
    rules.set(model.listenerName, rule);
  }
  return { queues, deadLetterQueues, rules };
}
