import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { inboundMessage, RecordLifecycle, type Dispatcher, type DispatchOutcome, type InboundMessage } from '../runtime/dispatch';
import type { UndeliveredEvent } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import type { AwsClients, QueueOperations } from '../runtime/transport';
import { PollStagger, type StaggeredPoll } from './poll-stagger';
import { abortableSleep } from './abortable-sleep';
import { DEFAULT_CONCURRENCY } from './concurrency';
import { drainInFlight, type InFlight } from './in-flight';
import { MessageGroups } from './message-groups';
import { TypedEmitter } from './typed-emitter';
import { startVisibilityHeartbeat, type VisibilityHeartbeat } from './visibility-heartbeat';

export interface QueueConsumerOptions {
  readonly queueName: string;
  readonly queueUrl: string;
  /** Messages processed at once from this queue. @default {@link DEFAULT_CONCURRENCY} (64) */
  readonly concurrency?: number;
  /** Concurrent ReceiveMessage calls. @default ceil(concurrency / 10) */
  readonly pollers?: number;
  /** Long-poll wait. @default 20 */
  readonly waitTimeSeconds?: number;
  /** The queue's visibility timeout; heartbeats extend it while a handler runs. */
  readonly visibilityTimeoutSeconds: number;
  /**
   * The interval at which the endpoint re-checks a waiting long poll, over which the pollers
   * spread their long polls (see poll-stagger.ts). Emulators re-check on an interval from each
   * poll's start (MiniStack: every 100 ms), so pollers that wait in lockstep answer a new message
   * no sooner than one would; spread evenly, k waiting polls answer within interval / k. A poller
   * delays its next poll only when its last receive came back short (the queue is drained) and
   * another poll is waiting, and is woken at once when none is, so the queue is always covered.
   * Only for endpoints that re-check on an interval: on SQS a long poll returns as soon as a
   * message arrives, so a short batch does not mean the queue is drained, and holding polls back
   * would only narrow the receives under load. 0 turns staggering off. @default 0
   */
  readonly longPollRecheckMs?: number;
  /**
   * A listener queue on a bus whose fire delivery is buffered: each message's events are followed,
   * and the message is deleted only once they are accepted (see {@link FireFollowing}).
   * @default - messages are deleted when their handler returns
   */
  readonly fireFollowing?: FireFollowing;
}

/**
 * Ties a listener's message to the events its handler fires with buffered delivery, as the Lambda
 * handler does with batch item failures: the message is deleted once they are accepted and, if any
 * is not, fails as a failing handler's would (the dispatcher's retry backoff, or the dead-letter
 * queue on its last allowed receive), so the listener runs (and fires) again: at least once.
 */
export interface FireFollowing {
  /** Runs the dispatch with its fires tagged and followed (`BusClient.followFires`). */
  readonly run: <T>(fireOrigin: string, fn: () => Promise<T>) => Promise<{ value: T; concluded: () => Promise<UndeliveredEvent[]> }>;
}

export type QueueConsumerEvents = {
  message_received: [message: InboundMessage];
  message_processed: [message: InboundMessage, outcome: DispatchOutcome, durationMs: number];
  error: [error: Error, context: { queueName: string; operation: string }];
};

/** ReceiveMessage returns at most 10 messages. */
const MAX_RECEIVE = 10;

/** How long past its wait time a long poll may take to answer before it is given up as lost. */
const RECEIVE_GRACE_SECONDS = 10;

/**
 * Consumes one queue: keeps up to `concurrency` messages in flight, polling again as soon as a
 * slot frees rather than after a whole batch (the sqs-consumer limitation), long-polls, extends
 * visibility while handlers run (and, with buffered fires followed, until their events are accepted),
 * and on stop drains: every message in flight is finished and deleted, or returned to the queue,
 * and the long polls under way end on their own, whatever they return going back to the queue. Each message goes through the same {@link RecordLifecycle}
 * as the Lambda handler's records; this consumer only adapts it to SQS calls (DeleteMessage,
 * ChangeMessageVisibility for the heartbeat and the drain).
 */
export class QueueConsumer extends TypedEmitter<QueueConsumerEvents> {
  public readonly queueName: string;
  private readonly queueUrl: string;
  private readonly concurrency: number;
  private readonly pollers: number;
  private readonly waitTimeSeconds: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly longPollRecheckMs: number;
  /** The last receive came back short: polls may be staggered (see longPollRecheckMs). */
  private queueLooksDrained = false;
  private readonly stagger: PollStagger;
  private readonly lifecycle: RecordLifecycle;
  private readonly inFlight = new Map<string, InFlight>();
  /** Aborted by stop(): cuts short the pollers' sleeps, never a long poll (see stop()). */
  private readonly stopping = new AbortController();
  /** Messages received by long polls that ended after stop(): never started, given back at its end. */
  private readonly released: Message[] = [];
  private reserved = 0;
  /** ReceiveMessage calls under way. */
  private receiving = 0;
  /**
   * Messages whose handler returned and that wait for their delete (and, with buffered fires followed,
   * for their events to be accepted first): they hold no slot, so waiting costs no throughput.
   */
  private finishing = 0;
  private running = false;
  private slotWaiters: (() => void)[] = [];
  private loops: Promise<void>[] = [];
  private readonly fireFollowing: FireFollowing | undefined;
  /** Set for a FIFO queue (an ordered listener's): its message groups run one message at a time, in order. */
  private readonly groups: MessageGroups | undefined;

  public constructor(
    private readonly clients: AwsClients,
    private readonly queues: QueueOperations,
    dispatcher: Dispatcher,
    private readonly logger: Logger,
    options: QueueConsumerOptions,
  ) {
    super();
    this.queueName = options.queueName;
    this.queueUrl = options.queueUrl;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.pollers = Math.max(1, options.pollers ?? Math.ceil(this.concurrency / 10));
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.longPollRecheckMs = Math.max(0, options.longPollRecheckMs ?? 0);
    this.fireFollowing = options.fireFollowing;
    this.groups = options.queueName.endsWith('.fifo') ? new MessageGroups() : undefined;
    this.stagger = new PollStagger(this.longPollRecheckMs);
    this.lifecycle = new RecordLifecycle(dispatcher, logger, {
      // Not fatal: the message still comes back, after the queue's visibility timeout.
      onError: (error, operation) => this.emit('error', error, { queueName: this.queueName, operation }),
    });
  }

  public get inFlightCount(): number {
    return this.inFlight.size;
  }

  public start(): void {
    if (this.running) return;
    if (this.stopping.signal.aborted) throw new Error(`The consumer of ${this.queueName} was stopped; it cannot start again.`);
    this.running = true;
    // The first poller covers the queue at once; the others join spread over the re-check interval.
    this.loops = Array.from({ length: this.pollers }, (_, index) => this.pollLoop((index * this.longPollRecheckMs) / this.pollers));
  }

  /**
   * Stops issuing polls at once, waits up to `drainTimeoutMs` for messages in flight, then returns
   * any still unfinished to the queue (visibility 0) so another consumer takes them without
   * waiting out the visibility timeout: once this consumer's own long polls under way have ended.
   * Given back sooner, a message went to one of them, back, to the next: every receive counts
   * toward the queue's maxReceiveCount, and a stop could send a message it never ran to the DLQ.
   *
   * Long polls under way are not aborted: aborting one only closes it on this side, while the
   * endpoint (SQS too) keeps it open and hands it messages that then stay hidden for the visibility
   * timeout, stranded (an RPC request past its deadline). Each ends within `waitTimeSeconds`, and
   * whatever it returns is given back with the rest (`released`). So stop() takes at most
   * max(drainTimeoutMs, waitTimeSeconds) plus the calls that return messages.
   */
  public async stop(drainTimeoutMs: number): Promise<{ finished: number; returned: number; released: number }> {
    this.running = false;
    this.stopping.abort();
    for (const wake of this.slotWaiters.splice(0)) wake();
    const [{ finished, unfinished }] = await Promise.all([drainInFlight([...this.inFlight.values()], drainTimeoutMs), Promise.all(this.loops)]);
    if (this.released.length > 0) {
      this.logger.info('Long polls under way at stop returned messages; they go back to the queue unstarted', { queue: this.queueName, count: this.released.length });
    }
    await Promise.all([
      ...unfinished.map((entry) => this.giveBack(entry.message, 'return-to-queue')),
      ...this.released.map((m) => this.giveBack({ receiptHandle: m.ReceiptHandle ?? '', messageId: m.MessageId ?? '' }, 'release-after-stop')),
    ]);
    return { finished, returned: unfinished.length, released: this.released.length };
  }

  /** Sets a message's visibility to 0: another consumer receives it at once. Never throws. */
  private giveBack(message: Pick<InboundMessage, 'receiptHandle' | 'messageId'>, operation: string): Promise<void> {
    return this.queues.changeVisibility(this.queueName, message.receiptHandle, 0).catch((error: Error) => {
      this.emit('error', error, { queueName: this.queueName, operation });
      this.logger.warn('Could not return a message to its queue; it reappears after its visibility timeout', {
        queue: this.queueName,
        messageId: message.messageId,
        error,
      });
    });
  }

  private async pollLoop(joinAfterMs: number): Promise<void> {
    await this.pause(joinAfterMs);
    while (this.running) {
      // The slots stay reserved while the poll is held back, so no other poller starts it early.
      const wanted = await this.reserveSlots();
      if (!this.running || wanted === 0) {
        this.reserved -= wanted;
        break;
      }
      if (this.queueLooksDrained) await this.stagger.holdBack(this.receiving, (ms) => this.pause(ms));
      if (!this.running) {
        this.reserved -= wanted;
        break;
      }
      this.receiving += 1;
      const poll = this.stagger.started();
      let messages: Message[] = [];
      try {
        const out = await this.clients.sqsLongPolls.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: wanted,
            WaitTimeSeconds: this.waitTimeSeconds,
            // AWSTraceHeader: the X-Ray trace a message without a traceparent continues (runtime/tracing).
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'AWSTraceHeader', ...(this.groups ? ['MessageGroupId' as const] : [])],
          }),
          // No abort on stop (see stop()); only a poll the endpoint never answers is given up.
          { abortSignal: AbortSignal.timeout((this.waitTimeSeconds + RECEIVE_GRACE_SECONDS) * 1000) },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        this.reserved -= wanted;
        this.pollEnded(poll);
        this.emit('error', error as Error, { queueName: this.queueName, operation: 'receive' });
        this.logger.error('ReceiveMessage failed; polling again shortly', { queue: this.queueName, error: error as Error });
        await this.pause(1000);
        continue;
      }
      this.reserved -= wanted;
      this.pollEnded(poll);
      if (!this.running) {
        this.released.push(...messages);
        break;
      }
      // A short batch means the queue is drained for now: the next polls can wait their turn.
      this.queueLooksDrained = messages.length < wanted;
      for (const message of messages) this.track(message);
      // With no receive under way, a waiting poller may now take the remaining free slots.
      this.wakeSlotWaiters();
    }
  }

  /**
   * Waits until a full batch's worth of slots is free (10, or the whole window if smaller), so
   * each ReceiveMessage asks for as many messages as it can return: refilling the window one slot
   * at a time made a receive per message or two, and each receive costs as much as a full one.
   * But no slot sits idle for long: when no receive is under way at all, any free slot is enough.
   * Reserves (up to 10) in the step that finds them free, resolving with their number (0 once stopping):
   * all waiting pollers wake at once, and reserving after the await let them take the same slots.
   */
  private reserveSlots(): Promise<number> {
    const batch = Math.min(MAX_RECEIVE, this.concurrency);
    const free = () => this.concurrency - (this.inFlight.size - this.finishing) - this.reserved;
    const enough = () => free() >= batch || (free() >= 1 && this.receiving === 0);
    const take = (): number => {
      const slots = Math.max(0, Math.min(MAX_RECEIVE, free()));
      this.reserved += slots;
      return slots;
    };
    if (!this.running) return Promise.resolve(0);
    if (enough()) return Promise.resolve(take());
    return new Promise((resolve) => {
      const check = () => {
        if (!this.running) resolve(0);
        else if (enough()) resolve(take());
        else this.slotWaiters.push(check);
      };
      this.slotWaiters.push(check);
    });
  }

  private track(raw: Message): void {
    const message = inboundMessage({
      messageId: raw.MessageId,
      body: raw.Body,
      receiptHandle: raw.ReceiptHandle,
      approximateReceiveCount: raw.Attributes?.ApproximateReceiveCount,
      queueName: this.queueName,
      awsTraceHeader: raw.Attributes?.AWSTraceHeader,
      messageGroupId: raw.Attributes?.MessageGroupId,
    });
    const entry: InFlight = { message, finished: false, handled: false, returned: false, heartbeat: undefined, done: Promise.resolve() };
    this.inFlight.set(message.receiptHandle, entry);
    const groups = this.groups;
    if (groups === undefined) {
      (entry as { done: Promise<void> }).done = this.process(entry).then(() => undefined);
      return;
    }
    // Hidden while it waits for its group's earlier messages, as while it runs.
    entry.heartbeat = this.startHeartbeat(message);
    (entry as { done: Promise<void> }).done = groups.admit(raw.Attributes?.MessageGroupId ?? '', {
      entry,
      accepting: () => this.running,
      run: async () => {
        const outcome = await this.process(entry);
        return outcome !== undefined && outcome.kind !== 'retry';
      },
      giveBack: (why) => this.giveBack(message, `hold-back-${why}`),
      release: () => {
        this.inFlight.delete(message.receiptHandle);
        this.wakeSlotWaiters();
      },
    });
  }

  /** Runs one message to its end; returns its final outcome (undefined if it threw). */
  private async process(entry: InFlight): Promise<DispatchOutcome | undefined> {
    const { message } = entry;
    const started = Date.now();
    let final: DispatchOutcome | undefined;
    this.emit('message_received', message);
    entry.heartbeat ??= this.startHeartbeat(message);
    try {
      const { outcome, concluded } = await this.dispatch(message);
      // The handler is done: free its slot now rather than after its events and the (batched) delete.
      entry.handled = true;
      this.finishing += 1;
      this.wakeSlotWaiters();
      final = await this.finish(entry, outcome, concluded);
      entry.finished = true;
      this.emit('message_processed', message, final, Date.now() - started);
    } finally {
      void entry.heartbeat?.stop();
      if (entry.handled) this.finishing -= 1;
      this.inFlight.delete(message.receiptHandle);
      this.wakeSlotWaiters();
    }
    return final;
  }

  /** Runs the dispatch, its fires followed if the bus delivers them buffered. */
  private async dispatch(message: InboundMessage): Promise<{ outcome: DispatchOutcome; concluded?: () => Promise<UndeliveredEvent[]> }> {
    const following = this.fireFollowing;
    if (following === undefined) return { outcome: await this.lifecycle.dispatch(message) };
    let concluded: (() => Promise<UndeliveredEvent[]>) | undefined;
    const outcome = await this.lifecycle.dispatch(message, async (dispatch) => {
      const run = await following.run(message.messageId, dispatch);
      concluded = run.concluded;
      return run.value;
    });
    return concluded === undefined ? { outcome } : { outcome, concluded };
  }

  /**
   * After the handler: waits for its events (the heartbeat keeps the message hidden meanwhile),
   * then does what the lifecycle says: delete the message, leave it for its retry (its listener
   * fails if its events were not delivered), or, returned to the queue by stop(), leave it alone.
   * Returns the final outcome.
   */
  private async finish(entry: InFlight, outcome: DispatchOutcome, concluded: (() => Promise<UndeliveredEvent[]>) | undefined): Promise<DispatchOutcome> {
    const { message } = entry;
    let undelivered: UndeliveredEvent[] = [];
    if (concluded !== undefined) {
      // Only a listener that succeeded needs its events: a retried message runs again anyway, and a
      // dead-lettered one is kept there (its failed events are logged). The watch ends either way.
      if (outcome.kind === 'done') undelivered = await concluded();
      else void concluded();
    }
    void entry.heartbeat?.stop();
    const result = await this.lifecycle.finish(message, outcome, undelivered, { returnedToQueue: entry.returned });
    if (result.action.kind === 'leave') {
      this.logger.warn('A message finished after the drain timeout had returned it to its queue; it was not deleted and may run again', {
        queue: this.queueName,
        messageId: message.messageId,
      });
    }
    if (result.action.kind === 'delete') await this.deleteMessage(message);
    return result.outcome;
  }

  private async deleteMessage(message: InboundMessage): Promise<void> {
    await this.queues.delete(this.queueName, message.receiptHandle).catch((error: Error) => {
      // The message will come back; the claim (RPC) or the handler's idempotence covers it.
      this.emit('error', error, { queueName: this.queueName, operation: 'delete' });
      this.logger.error('DeleteMessage failed; the message will be delivered again', { queue: this.queueName, error });
    });
  }

  private pollEnded(poll: StaggeredPoll): void {
    this.receiving -= 1;
    this.stagger.ended(poll, this.receiving);
  }

  private wakeSlotWaiters(): void {
    const waiters = this.slotWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  /** Extends visibility while the handler runs (and its events are concluded), so no other consumer gets it. */
  private startHeartbeat(message: InboundMessage): VisibilityHeartbeat {
    return startVisibilityHeartbeat(this.queues, this.queueName, message.receiptHandle, this.visibilityTimeoutSeconds, (error) => {
      this.emit('error', error, { queueName: this.queueName, operation: 'heartbeat' });
      this.logger.warn("Could not extend a running message's visibility; another consumer may receive it", {
        queue: this.queueName,
        messageId: message.messageId,
        error,
      });
    });
  }

  /** Sleeps, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    return abortableSleep(this.stopping.signal, ms);
  }
}
