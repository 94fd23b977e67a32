import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { Dispatcher, DispatchOutcome, InboundMessage } from '../runtime/dispatch';
import { isFinished } from '../runtime/dispatch';
import { UndeliveredEventsError, type UndeliveredEvent } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import type { AwsClients, QueueOperations } from '../runtime/transport';
import { staggerDelayMs } from './poll-stagger';
import { TypedEmitter } from './typed-emitter';

export interface QueueConsumerOptions {
  readonly queueName: string;
  readonly queueUrl: string;
  /** Messages processed at once from this queue. @default 32 */
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
   * and the message is deleted only once they are accepted (see {@link FireSettlement}).
   * @default - messages are deleted when their handler returns
   */
  readonly fireSettlement?: FireSettlement;
}

/**
 * Ties a listener's message to the events its handler fires with buffered delivery, as the Lambda
 * handler does with batch item failures: the message is deleted once they are accepted and, if any
 * is not, fails as a failing handler's would (the dispatcher's retry backoff, or the dead-letter
 * queue on its last allowed receive), so the listener runs (and fires) again: at least once.
 */
export interface FireSettlement {
  /** Runs the dispatch with its fires tagged and followed (`BusClient.withFireSettlement`). */
  readonly run: <T>(origin: string, fn: () => Promise<T>) => Promise<{ value: T; settled: () => Promise<UndeliveredEvent[]> }>;
}

export type QueueConsumerEvents = {
  message_received: [message: InboundMessage];
  message_processed: [message: InboundMessage, outcome: DispatchOutcome, durationMs: number];
  error: [error: Error, context: { queueName: string; operation: string }];
};

interface InFlight {
  readonly message: InboundMessage;
  readonly done: Promise<void>;
  finished: boolean;
  /** The handler has returned; only its events' settlement and the delete are outstanding, so the slot is free again. */
  handled: boolean;
  /**
   * stop() gave the message back to the queue (drain timeout passed): another consumer may hold
   * it now, so this one must neither extend its visibility nor delete it when the handler ends.
   */
  returned: boolean;
  heartbeat: NodeJS.Timeout | undefined;
}

/** ReceiveMessage returns at most 10 messages. */
const MAX_RECEIVE = 10;

/**
 * Consumes one queue: keeps up to `concurrency` messages in flight, polling again as soon as a
 * slot frees rather than after a whole batch (the sqs-consumer limitation), long-polls with an
 * abortable signal, extends visibility while handlers run (and, with a fire settlement, until
 * their events are accepted), and on stop drains: every message in flight is finished and
 * deleted, or returned to the queue.
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
  /** Start times of the ReceiveMessage calls under way (and planned), for staggering. */
  private readonly pollStarts = new Set<{ readonly startedAt: number }>();
  /** Pollers holding back a poll to stagger it: woken when no poll covers the queue any more. */
  private staggerWaiters: (() => void)[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  private readonly abort = new AbortController();
  private reserved = 0;
  /** ReceiveMessage calls under way. */
  private receiving = 0;
  /**
   * Messages whose handler returned and that wait for their delete (and, with a fire settlement,
   * for their events to be accepted first): they hold no slot, so waiting costs no throughput.
   */
  private finishing = 0;
  private running = false;
  private slotWaiters: (() => void)[] = [];
  private loops: Promise<void>[] = [];
  private readonly fireSettlement: FireSettlement | undefined;

  public constructor(
    private readonly clients: AwsClients,
    private readonly queues: QueueOperations,
    private readonly dispatcher: Dispatcher,
    private readonly logger: Logger,
    options: QueueConsumerOptions,
  ) {
    super();
    this.queueName = options.queueName;
    this.queueUrl = options.queueUrl;
    this.concurrency = Math.max(1, options.concurrency ?? 32);
    this.pollers = Math.max(1, options.pollers ?? Math.ceil(this.concurrency / 10));
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds;
    this.longPollRecheckMs = Math.max(0, options.longPollRecheckMs ?? 0);
    this.fireSettlement = options.fireSettlement;
  }

  public get inFlightCount(): number {
    return this.inFlight.size;
  }

  public start(): void {
    if (this.running) return;
    if (this.abort.signal.aborted) throw new Error(`The consumer of ${this.queueName} was stopped; it cannot start again.`);
    this.running = true;
    // The first poller covers the queue at once; the others join spread over the re-check interval.
    this.loops = Array.from({ length: this.pollers }, (_, index) => this.pollLoop((index * this.longPollRecheckMs) / this.pollers));
  }

  /**
   * Stops polling at once (aborting long polls), waits up to `drainTimeoutMs` for messages in
   * flight, then returns any still unfinished to the queue (visibility 0) so another consumer
   * takes them without waiting out the visibility timeout.
   */
  public async stop(drainTimeoutMs: number): Promise<{ finished: number; returned: number }> {
    this.running = false;
    this.abort.abort();
    for (const wake of this.slotWaiters.splice(0)) wake();
    await Promise.all(this.loops);
    const pending = [...this.inFlight.values()];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), drainTimeoutMs);
    });
    await Promise.race([Promise.all(pending.map((p) => p.done)), timedOut]);
    clearTimeout(timer);
    const unfinished = pending.filter((p) => !p.finished);
    for (const entry of unfinished) {
      entry.returned = true;
      clearInterval(entry.heartbeat);
    }
    await Promise.all(
      unfinished.map((p) =>
        this.queues.changeVisibility(this.queueName, p.message.receiptHandle, 0).catch((error: Error) => {
          this.emit('error', error, { queueName: this.queueName, operation: 'return-to-queue' });
          this.logger.warn('Could not return an unfinished message to its queue; it reappears after its visibility timeout', {
            queue: this.queueName,
            messageId: p.message.messageId,
            error,
          });
        }),
      ),
    );
    return { finished: pending.length - unfinished.length, returned: unfinished.length };
  }

  private async pollLoop(joinAfterMs: number): Promise<void> {
    await this.pause(joinAfterMs);
    while (this.running) {
      const capacity = await this.waitForCapacity();
      if (!this.running || capacity === 0) break;
      const wanted = Math.min(MAX_RECEIVE, capacity);
      // The slots stay reserved while the poll is held back, so no other poller starts it early.
      this.reserved += wanted;
      if (this.queueLooksDrained) await this.staggerIdlePoll();
      if (!this.running) {
        this.reserved -= wanted;
        break;
      }
      this.receiving += 1;
      const poll = { startedAt: Date.now() };
      this.pollStarts.add(poll);
      let messages: Message[] = [];
      try {
        const out = await this.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: wanted,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        this.reserved -= wanted;
        this.pollEnded(poll);
        if (!this.running) break;
        this.emit('error', error as Error, { queueName: this.queueName, operation: 'receive' });
        this.logger.error('ReceiveMessage failed; polling again shortly', { queue: this.queueName, error: error as Error });
        await this.pause(1000);
        continue;
      }
      this.reserved -= wanted;
      this.pollEnded(poll);
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
   */
  private waitForCapacity(): Promise<number> {
    const batch = Math.min(MAX_RECEIVE, this.concurrency);
    const free = () => this.concurrency - (this.inFlight.size - this.finishing) - this.reserved;
    const enough = () => free() >= batch || (free() >= 1 && this.receiving === 0);
    if (enough() || !this.running) return Promise.resolve(Math.max(0, free()));
    return new Promise((resolve) => {
      const check = () => {
        if (!this.running || enough()) resolve(Math.max(0, free()));
        else this.slotWaiters.push(check);
      };
      this.slotWaiters.push(check);
    });
  }

  private track(raw: Message): void {
    const message: InboundMessage = {
      messageId: raw.MessageId ?? '',
      body: raw.Body ?? '',
      receiptHandle: raw.ReceiptHandle ?? '',
      receiveCount: Number(raw.Attributes?.ApproximateReceiveCount ?? '1'),
      queueName: this.queueName,
    };
    const entry: InFlight = { message, finished: false, handled: false, returned: false, heartbeat: undefined, done: Promise.resolve() };
    this.inFlight.set(message.receiptHandle, entry);
    (entry as { done: Promise<void> }).done = this.process(entry);
  }

  private async process(entry: InFlight): Promise<void> {
    const { message } = entry;
    const started = Date.now();
    this.emit('message_received', message);
    entry.heartbeat = this.startHeartbeat(message);
    try {
      const { outcome, settled } = await this.dispatch(message);
      // The handler is done: free its slot now rather than after its events and the (batched) delete.
      entry.handled = true;
      this.finishing += 1;
      this.wakeSlotWaiters();
      const final = await this.finish(entry, outcome, settled);
      entry.finished = true;
      this.emit('message_processed', message, final, Date.now() - started);
    } finally {
      clearInterval(entry.heartbeat);
      if (entry.handled) this.finishing -= 1;
      this.inFlight.delete(message.receiptHandle);
      this.wakeSlotWaiters();
    }
  }

  /** Runs the dispatcher, under the fire settlement if there is one. */
  private async dispatch(message: InboundMessage): Promise<{ outcome: DispatchOutcome; settled?: () => Promise<UndeliveredEvent[]> }> {
    try {
      if (this.fireSettlement === undefined) return { outcome: await this.dispatcher.dispatch(message) };
      const { value, settled } = await this.fireSettlement.run(message.messageId, () => this.dispatcher.dispatch(message));
      return { outcome: value, settled };
    } catch (error) {
      // The dispatcher turns every failure into an outcome; this is the net for a bug in it.
      this.logger.error('Dispatch threw; the message will be retried', { queue: this.queueName, messageId: message.messageId, error: error as Error });
      return { outcome: { kind: 'retry', error: error as Error, delaySeconds: this.visibilityTimeoutSeconds } };
    }
  }

  /**
   * After the handler: waits for its events (the heartbeat keeps the message hidden meanwhile),
   * then deletes the message, or retries it if they were not delivered. Returns the final outcome.
   */
  private async finish(entry: InFlight, outcome: DispatchOutcome, settled: (() => Promise<UndeliveredEvent[]>) | undefined): Promise<DispatchOutcome> {
    const { message } = entry;
    let undelivered: UndeliveredEvent[] = [];
    if (settled !== undefined) {
      // Only a listener that succeeded needs its events: a retried message runs again anyway, and a
      // dead-lettered one is kept there (its failed events are logged). The watch ends either way.
      if (outcome.kind === 'done') undelivered = await settled();
      else void settled();
    }
    clearInterval(entry.heartbeat);
    if (entry.returned) {
      this.logger.warn('A message finished after the drain timeout had returned it to its queue; it was not deleted and may run again', {
        queue: this.queueName,
        messageId: message.messageId,
      });
      return outcome;
    }
    if (undelivered.length > 0) return this.retryUndelivered(message, undelivered);
    if (isFinished(outcome)) await this.deleteMessage(message);
    return outcome;
  }

  private async deleteMessage(message: InboundMessage): Promise<void> {
    await this.queues.delete(this.queueName, message.receiptHandle).catch((error: Error) => {
      // The message will come back; the claim (RPC) or the handler's idempotence covers it.
      this.emit('error', error, { queueName: this.queueName, operation: 'delete' });
      this.logger.error('DeleteMessage failed; the message will be delivered again', { queue: this.queueName, error });
    });
  }

  /**
   * Events the listener fired were not delivered: the message fails as if its handler had (the
   * dispatcher retries it with the listener's backoff, or dead-letters it on its last allowed
   * receive), so the listener runs and fires them again.
   */
  private async retryUndelivered(message: InboundMessage, undelivered: UndeliveredEvent[]): Promise<DispatchOutcome> {
    this.logger.warn('Events the listener fired were not delivered; its message fails like a failed handler', {
      queue: this.queueName,
      messageId: message.messageId,
      undelivered: undelivered.map((e) => `${e.api}.${e.event} ${e.id}`),
    });
    const outcome = await this.dispatcher.listenerWorkFailed(message, new UndeliveredEventsError(undelivered)).catch((error: Error) => {
      // Not fatal: the message still comes back, after the queue's visibility timeout.
      this.emit('error', error, { queueName: this.queueName, operation: 'retry-delay' });
      return { kind: 'retry', error, delaySeconds: this.visibilityTimeoutSeconds } as const;
    });
    // Dead-lettered on its last receive: finished with, like any other dead-lettered message.
    if (isFinished(outcome)) await this.deleteMessage(message);
    return outcome;
  }

  private pollEnded(poll: { readonly startedAt: number }): void {
    this.receiving -= 1;
    this.pollStarts.delete(poll);
    // Nothing covers the queue now: staggered pollers must not wait any longer.
    if (this.receiving === 0) for (const wake of this.staggerWaiters.splice(0)) wake();
  }

  /**
   * Holds the next poll back to its place in the re-check interval while another poll waits on the
   * queue. The planned start counts as a poll's, so pollers holding back together spread too.
   */
  private async staggerIdlePoll(): Promise<void> {
    if (this.receiving === 0) return;
    const now = Date.now();
    const delay = staggerDelayMs(now, [...this.pollStarts].map((p) => p.startedAt), this.longPollRecheckMs);
    if (delay < 1) return;
    const planned = { startedAt: now + delay };
    this.pollStarts.add(planned);
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
      this.staggerWaiters.push(resolve);
    });
    await Promise.race([this.pause(delay), woken]);
    this.staggerWaiters = this.staggerWaiters.filter((w) => w !== wake);
    this.pollStarts.delete(planned);
  }

  private wakeSlotWaiters(): void {
    const waiters = this.slotWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  /** Extends visibility at half the timeout while the handler runs, so no other consumer gets it. */
  private startHeartbeat(message: InboundMessage): NodeJS.Timeout {
    const every = Math.max(1, this.visibilityTimeoutSeconds / 2) * 1000;
    const timer = setInterval(() => {
      this.queues.changeVisibility(this.queueName, message.receiptHandle, this.visibilityTimeoutSeconds).catch((error: Error) => {
        this.emit('error', error, { queueName: this.queueName, operation: 'heartbeat' });
        this.logger.warn('Could not extend a running message\'s visibility; another consumer may receive it', {
          queue: this.queueName,
          messageId: message.messageId,
          error,
        });
      });
    }, every);
    timer.unref();
    return timer;
  }

  /** Sleeps, cut short by stop(). Removes its abort listener either way: it runs once per idle poll. */
  private pause(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
