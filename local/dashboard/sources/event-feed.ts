import { randomBytes } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { MalformedMessageError } from '../../../runtime/errors';
import { parseEventDelivery } from '../../../runtime/messages';
import { fitName } from '../../../runtime/topology';
import type { AwsClients } from '../../../runtime/transport';
import { inspectEventPattern } from '../../cli/inspect-filters';
import { createTemporaryResources, readTapDelivery, removeTemporaryResources, type TemporaryResources } from '../../live-traffic';
import { traceFields, type RoutedListener, type TrafficEvent } from '../traffic';

export interface EventFeedOptions {
  readonly clients: AwsClients;
  readonly busName: string;
  readonly eventBusName: string;
  /** Which listeners an event goes to (their rules match it); kept current by the overview. */
  readonly routeOf: (api: string, event: string) => readonly RoutedListener[];
  readonly onEvent: (event: TrafficEvent) => void;
  /** Concurrent receivers on the temporary queue (the emulator drains ~1,250 messages/s with one, ~3,100/s with eight). @default 8 */
  readonly receivers?: number;
  /** Long-poll wait, seconds. @default 20 */
  readonly waitTimeSeconds?: number;
}

/**
 * Every event fired on the bus, as it happens: the same temporary EventBridge rule + SQS queue
 * `lightbus inspect` uses (local/live-traffic), matching every lightbus event, with the queue
 * subscribed to every SNS topic of the bus (APIs on SNS), removed on stop.
 */
export class EventFeed {
  private readonly stopping = new AbortController();
  private resources: TemporaryResources | undefined;
  private loops: Promise<void>[] = [];
  /** Deletes under way: a receiver does not wait for its delete before receiving again. */
  private readonly deleting = new Set<Promise<unknown>>();
  /** Messages that were not lightbus events (counted, not shown). */
  public skipped = 0;

  public constructor(private readonly options: EventFeedOptions) {}

  /** Creates the rule and queue (throws if the bus is not there) and starts receiving. */
  public async start(): Promise<void> {
    const { busName, eventBusName, clients } = this.options;
    const suffix = `dashboard-${randomBytes(4).toString('hex')}`;
    const resources: TemporaryResources = {
      eventBusName,
      ruleName: fitName(`${busName}-${suffix}`, 64),
      queueName: fitName(`${busName}-${suffix}`, 80),
      description: 'Temporary rule of `lightbus dashboard`; removed when it exits.',
      // Topics found when the dashboard starts: an API moved to SNS later shows after a restart.
      topics: { busName },
    };
    this.resources = resources;
    await createTemporaryResources(clients, resources, inspectEventPattern({}));
    const receivers = this.options.receivers ?? 8;
    this.loops = Array.from({ length: receivers }, () => this.receiveLoop(resources.queueUrl as string));
  }

  /** Stops receiving and removes the rule and queue; returns what could not be removed. */
  public async stop(): Promise<string[]> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.deleting]);
    if (this.resources === undefined) return [];
    return removeTemporaryResources(this.options.clients, this.resources);
  }

  /** The temporary rule and queue (and the topics it is subscribed to), for the page to name. */
  public get temporaryResources(): { rule: string; queue: string; topics: string[]; topicProblem?: string } | undefined {
    return (
      this.resources && {
        rule: this.resources.ruleName,
        queue: this.resources.queueName,
        topics: (this.resources.subscriptions ?? []).map((s) => s.topicArn.slice(s.topicArn.lastIndexOf(':') + 1)),
        ...(this.resources.topicProblem !== undefined ? { topicProblem: this.resources.topicProblem } : {}),
      }
    );
  }

  private async receiveLoop(queueUrl: string): Promise<void> {
    const { clients } = this.options;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        // Long polls that carry an abort signal: their own client (runtime/transport/aws-clients.ts).
        const out = await clients.sqsLongPolls.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.options.waitTimeSeconds ?? 20 }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch {
        if (signal.aborted) return;
        // The endpoint went away for a moment: the overview reports it; try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      const observedAt = Date.now();
      for (const message of messages) {
        const event = this.read(message.Body ?? '', observedAt);
        if (event !== undefined) this.options.onEvent(event);
      }
      if (messages.length > 0) {
        const deleted = clients.sqs
          .send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }))
          .catch(() => undefined) // the queue keeps messages an hour at most; a redelivery shows twice
          .finally(() => this.deleting.delete(deleted));
        this.deleting.add(deleted);
        // Bounded: a receiver waits when its deletes fall behind.
        if (this.deleting.size > 4 * (this.options.receivers ?? 8)) await deleted;
      }
    }
  }

  /** The event a delivery holds, or undefined (counted) when it is not a lightbus event. */
  public read(body: string, observedAt: number): TrafficEvent | undefined {
    const delivery = readTapDelivery(body);
    let detail;
    try {
      detail = parseEventDelivery(delivery.envelope);
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      this.skipped += 1;
      return undefined;
    }
    // Trace context is read from the raw detail: a parser that drops unknown fields must not hide it.
    const raw = (JSON.parse(delivery.envelope) as { detail?: { traceparent?: unknown; tracestate?: unknown } }).detail ?? {};
    const firedAt = Date.parse(detail.firedAt);
    return {
      kind: 'event',
      id: detail.id,
      api: detail.api,
      name: detail.event,
      parameters: detail.parameters,
      at: Number.isFinite(firedAt) ? firedAt : observedAt,
      observedAt,
      transport: delivery.transport,
      ...(detail.sender ? { sender: detail.sender } : {}),
      routedTo: this.options.routeOf(detail.api, detail.event),
      ...traceFields(raw),
    };
  }
}
