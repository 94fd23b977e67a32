import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { deadLetterQueueName, listenerQueueName, orderedListenerQueueName, rpcQueueName } from '../../runtime/topology';
import type { AwsClients } from '../../runtime/transport';
import { DeadLetterQueueNotFoundError } from './errors';
import { attributesForRedrive, isNamed, readDeadLetter } from './read-message';
import type { DeadLetter, DeadLetterListing, DeadLetterQueue, DeadLetterSelector, RedriveFailure, RedriveOptions, RedriveReport } from './types';

const DEFAULT_VISIBILITY_SECONDS = 60;
/** Listing holds messages invisible for this long, then releases them. */
const LISTING_VISIBILITY_SECONDS = 30;
const DEFAULT_LIST_LIMIT = 100;

/** Names the emulators and SQS use for an action the endpoint does not implement. */
const UNSUPPORTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented', 'InvalidParameterValue']);

/**
 * The dead-letter queues of a bus: list, show and redrive their messages. The CLI (`lightbus dlq`)
 * only renders what this returns, so a dashboard can use the same code.
 *
 * Nothing here loses a message: listing receives and releases; a redrive deletes a message from
 * the dead-letter queue only after it was sent to its source queue.
 */
export class DeadLetters {
  public constructor(
    private readonly clients: AwsClients,
    private readonly busName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The queues of a listener or an API; throws {@link DeadLetterQueueNotFoundError} if its dead-letter
   * queue does not exist. A listener's are its ordered (FIFO, `.fifo`) queues when those exist,
   * else its standard ones; `ordered` in the selector picks one kind (a listener turned `ordered`
   * keeps its old standard queues until they are deleted).
   */
  public async resolve(selector: DeadLetterSelector): Promise<DeadLetterQueue> {
    if ('api' in selector) {
      const queue = sourceAndDeadLetter('rpc', selector.api, rpcQueueName(this.busName, selector.api));
      await this.queueUrl(queue.deadLetterQueueName, `API "${selector.api}"`);
      return queue;
    }
    const what = `Listener "${selector.listener}" of service "${selector.service}"`;
    const plain = sourceAndDeadLetter('listener', selector.listener, listenerQueueName(this.busName, selector.service, selector.listener));
    const ordered = sourceAndDeadLetter('listener', selector.listener, orderedListenerQueueName(this.busName, selector.service, selector.listener));
    if (selector.ordered === false) return this.queueUrl(plain.deadLetterQueueName, what).then(() => plain);
    if (selector.ordered === true) return this.queueUrl(ordered.deadLetterQueueName, what).then(() => ordered);
    try {
      await this.queueUrl(ordered.deadLetterQueueName, what);
      return ordered;
    } catch (error) {
      if (!(error instanceof DeadLetterQueueNotFoundError)) throw error;
    }
    await this.queueUrl(plain.deadLetterQueueName, what);
    return plain;
  }

  /** Up to `limit` messages (default 100) with their causes; they stay in the queue. */
  public async list(queue: DeadLetterQueue, options: { limit?: number } = {}): Promise<DeadLetterListing> {
    const url = await this.queueUrl(queue.deadLetterQueueName);
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    const attributes = await this.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const approximateCount =
      Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    const received = await this.receiveAll(url, LISTING_VISIBILITY_SECONDS, limit);
    // Listing must not hide messages from a redrive or a second listing: release them at once.
    await this.release(url, received);
    const now = this.now();
    return { queue, approximateCount, messages: received.map((m) => readDeadLetter(m, now)) };
  }

  /** One message, by SQS message id or lightbus id; undefined if it is not (or no longer) there. */
  public async show(queue: DeadLetterQueue, id: string): Promise<DeadLetter | undefined> {
    const listing = await this.list(queue, { limit: Number.MAX_SAFE_INTEGER });
    return listing.messages.find((letter) => isNamed(letter, id));
  }

  /**
   * Moves messages back to the queue they came from, to be handled again. RPC requests past their
   * deadline stay (their caller stopped waiting; a worker would drop them unrun). Uses SQS's
   * StartMessageMoveTask for a whole listener queue where the endpoint has it, else (and always
   * for request queues, and for a selection) receives, sends and then deletes each message.
   */
  public async redrive(queue: DeadLetterQueue, options: RedriveOptions = {}): Promise<RedriveReport> {
    const url = await this.queueUrl(queue.deadLetterQueueName);
    if (queue.kind === 'listener' && options.ids === undefined) {
      const task = await this.tryMoveTask(url, queue);
      if (task !== undefined) return task;
    }
    return this.receiveAndSend(url, queue, options);
  }

  private async tryMoveTask(url: string, queue: DeadLetterQueue): Promise<RedriveReport | undefined> {
    const [deadLetterArn, sourceArn, count] = await Promise.all([
      this.queueArn(url),
      this.queueArn(await this.queueUrl(queue.sourceQueueName)),
      this.visibleCount(url),
    ]);
    if (count === 0) return { queue, method: 'move-task', moved: 0, keptExpired: [], failures: [], nothingToDo: true };
    try {
      const task = await this.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: deadLetterArn, DestinationArn: sourceArn }));
      return { queue, method: 'move-task', moved: count, keptExpired: [], failures: [], nothingToDo: false, ...(task.TaskHandle ? { taskHandle: task.TaskHandle } : {}) };
    } catch (error) {
      if (UNSUPPORTED.has((error as Error).name)) return undefined;
      throw error;
    }
  }

  private async receiveAndSend(url: string, queue: DeadLetterQueue, options: RedriveOptions): Promise<RedriveReport> {
    const sourceUrl = await this.queueUrl(queue.sourceQueueName);
    const visibility = options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS;
    const wanted = options.ids === undefined ? undefined : new Set(options.ids);
    const held: Message[] = [];
    const keptExpired: DeadLetter[] = [];
    const failures: RedriveFailure[] = [];
    let moved = 0;
    let seen = 0;
    try {
      for (;;) {
        // Messages not moved stay invisible until the end, so each is received once per redrive.
        const batch = await this.receive(url, visibility);
        if (batch.length === 0) break;
        seen += batch.length;
        for (const message of batch) {
          const letter = readDeadLetter(message, this.now());
          if ((wanted !== undefined && ![...wanted].some((id) => isNamed(letter, id))) || letter.expired) {
            if (letter.expired && (wanted === undefined || [...wanted].some((id) => isNamed(letter, id)))) keptExpired.push(letter);
            held.push(message);
            continue;
          }
          const outcome = await this.moveOne(url, sourceUrl, message, queue.sourceQueueName.endsWith('.fifo'));
          if (outcome === undefined) moved += 1;
          else {
            failures.push(outcome);
            if (outcome.step === 'send') held.push(message);
            else moved += 1; // sent, but still in the DLQ: it may be moved again later
          }
        }
      }
    } finally {
      await this.release(url, held);
    }
    return { queue, method: 'receive-and-send', moved, keptExpired, failures, nothingToDo: seen === 0 || (moved === 0 && failures.length === 0) };
  }

  /**
   * Sends one message back, then deletes it from the DLQ; returns the failure, if any. Into a FIFO
   * queue it goes back to its message group (the dead letter's `MessageGroupId`: the worker and SQS's
   * own redrive both keep it), deduplicated by the dead letter's message id, so a redrive repeated
   * after a failed delete (within SQS's 5-minute window) does not send it twice.
   */
  private async moveOne(url: string, sourceUrl: string, message: Message, fifo: boolean): Promise<RedriveFailure | undefined> {
    const messageId = message.MessageId ?? '';
    const attributes = attributesForRedrive(message.MessageAttributes);
    const group = fifo ? { MessageGroupId: message.Attributes?.MessageGroupId || 'redriven', MessageDeduplicationId: messageId } : {};
    try {
      await this.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: sourceUrl, MessageBody: message.Body ?? '', ...(attributes ? { MessageAttributes: attributes } : {}), ...group }),
      );
    } catch (error) {
      return { messageId, step: 'send', error: (error as Error).message };
    }
    try {
      await this.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      return { messageId, step: 'delete', error: (error as Error).message };
    }
    return undefined;
  }

  private async receiveAll(url: string, visibility: number, limit: number): Promise<Message[]> {
    const all = new Map<string, Message>();
    while (all.size < limit) {
      const batch = await this.receive(url, visibility, Math.min(10, limit - all.size));
      if (batch.length === 0) break;
      for (const message of batch) all.set(message.MessageId ?? '', message);
    }
    return [...all.values()];
  }

  private async receive(url: string, visibility: number, max = 10): Promise<Message[]> {
    const out = await this.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        VisibilityTimeout: visibility,
        // A long poll (even of 1 s) asks every SQS server: a short poll samples some, and could
        // answer "empty" while messages remain, ending a listing or a redrive early.
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  /** Makes received messages visible again at once (best effort: otherwise they return after their visibility timeout). */
  private async release(url: string, messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      await this.clients.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries })).catch(() => undefined);
    }
  }

  private async queueUrl(queueName: string, what?: string): Promise<string> {
    try {
      const out = await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      return out.QueueUrl as string;
    } catch (error) {
      if (/NonExistentQueue|QueueDoesNotExist/.test((error as Error).name)) throw new DeadLetterQueueNotFoundError(what ?? `Queue ${queueName}`, queueName);
      throw error;
    }
  }

  private async queueArn(url: string): Promise<string> {
    const out = await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return out.Attributes?.QueueArn as string;
  }

  private async visibleCount(url: string): Promise<number> {
    const out = await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
}

function sourceAndDeadLetter(kind: DeadLetterQueue['kind'], name: string, sourceQueueName: string): DeadLetterQueue {
  return { kind, name, sourceQueueName, deadLetterQueueName: deadLetterQueueName(sourceQueueName) };
}
