import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type BatchResultErrorEntry,
  type MessageAttributeValue,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { QueueSendError } from '../errors';
import type { AwsClients } from './aws-clients';
import { MicroBatcher } from './micro-batcher';
import type { QueueLocator } from './queue-locator';

/** SQS's default (and our) maximum message size: 256 KiB. Also the limit on a SendMessageBatch's payloads together. */
export const MAX_SQS_MESSAGE_BYTES = 256 * 1024;
/** SendMessageBatch and DeleteMessageBatch take at most 10 entries. */
const MAX_BATCH = 10;

interface PendingSend {
  readonly body: string;
  readonly bytes: number;
  /**
   * `waiting` for a batch (the first or a retry) → `sending` in a SendMessageBatch call → `settled`
   * (resolved or rejected), or back to `waiting` for a retry. An abort settles it from any state:
   * a waiting send is then never sent, and a sending one's outcome is ignored.
   */
  state: 'waiting' | 'sending' | 'settled';
  /** SendMessageBatch calls that carried this message so far. */
  attempts: number;
  readonly resolve: (messageId: string) => void;
  readonly reject: (error: unknown) => void;
  /** Stops listening to the caller's signal; called when the send settles, however it settles. */
  release: () => void;
}

interface PendingDelete {
  readonly receiptHandle: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface QueueOperationsOptions {
  /**
   * How long a delete may wait for others to fill a DeleteMessageBatch call (a batch of 10 goes at
   * once). Deletes are off every caller's path (an RPC's result is written before its message is
   * deleted, and the worker frees the message's slot before the delete), so a few milliseconds
   * cost nothing and save up to nine calls in ten. 0 batches only what the same event-loop turn
   * deletes. @default 5
   */
  readonly deleteLingerMs?: number;
  /**
   * Attempts per message, the first included, for messages a SendMessageBatch call reports as
   * failed through no fault of ours (`SenderFault` false: throttling, an SQS-side error). A lone
   * SendMessage got these retries from the SDK; in a batch the call succeeds and the SDK sees
   * nothing to retry, so we retry the entry. @default 4
   */
  readonly sendMaxAttempts?: number;
  /** First delay before such a retry; doubles each attempt, with jitter. @default 50 */
  readonly sendRetryBaseMs?: number;
}

/**
 * The SQS calls lightbus makes on queues it knows by name. Deletes are merged into
 * DeleteMessageBatch calls of up to 10 per queue: a full batch goes at once, a partial one after
 * `deleteLingerMs`, so a worker finishing messages at different moments still makes about a tenth
 * of the calls. Sends are merged into SendMessageBatch calls the same way, but without a linger
 * (a caller is waiting on each send): a full batch goes at once, the rest at the end of the
 * event-loop turn that sent them. A message SQS fails through its own fault rides again in a later
 * batch, after a backoff (the SDK's retries only cover a failed call, not a failed entry). Both
 * are adapters of the one {@link MicroBatcher}, keyed by queue name.
 */
export class QueueOperations {
  private readonly sends: MicroBatcher<PendingSend>;
  private readonly deletes: MicroBatcher<PendingDelete>;
  private readonly sendMaxAttempts: number;
  private closed: Error | undefined;

  public constructor(
    private readonly clients: AwsClients,
    public readonly locator: QueueLocator,
    options: QueueOperationsOptions = {},
  ) {
    const deleteLingerMs = Math.max(0, options.deleteLingerMs ?? 5);
    this.sendMaxAttempts = Math.max(1, options.sendMaxAttempts ?? 4);
    this.sends = new MicroBatcher<PendingSend>({
      maxEntries: MAX_BATCH,
      // SQS limits a batch's payloads to 256 KiB together.
      maxBytes: MAX_SQS_MESSAGE_BYTES,
      sizeOf: (entry) => entry.bytes,
      // No linger: a caller waits on each send.
      linger: 'turn',
      send: (entries, queueName) => this.sendBatch(queueName, entries),
      retryBaseMs: Math.max(0, options.sendRetryBaseMs ?? 50),
      // A send aborted during the backoff was rejected already and must not go out.
      stillWanted: (entry) => entry.state === 'waiting',
    });
    this.deletes = new MicroBatcher<PendingDelete>({
      maxEntries: MAX_BATCH,
      linger: deleteLingerMs === 0 ? 'turn' : () => deleteLingerMs,
      send: (entries, queueName) => this.deleteBatch(queueName, entries),
    });
  }

  /**
   * Sends a message; resolves with its SQS message id. Sends to the same queue in the same
   * event-loop turn share SendMessageBatch calls (≤ 10 messages, ≤ 256 KiB together). A message SQS
   * fails through its own fault is retried in a later batch, with backoff; one it refuses
   * (`SenderFault`) rejects at once, with a {@link QueueSendError}. When `signal` fires the send
   * rejects at once with the signal's reason: a message not yet out is never sent, one in a call
   * under way cannot be recalled (its batch carries on, and its outcome is ignored).
   * With `attributes` (dead-lettering, off every caller's path) it is one SendMessage call; to a FIFO
   * queue it goes in `messageGroupId` (default `dead-letters`).
   */
  public send(
    queueName: string,
    body: string,
    attributes?: Record<string, MessageAttributeValue>,
    signal?: AbortSignal,
    messageGroupId?: string,
  ): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    if (attributes) return this.sendOne(queueName, body, attributes, signal, messageGroupId);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<string>((resolve, reject) => {
      this.sends.add(pendingSend(body, signal, resolve, reject), queueName);
    });
  }

  private async sendOne(
    queueName: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    signal: AbortSignal | undefined,
    messageGroupId: string | undefined,
  ): Promise<string> {
    // A FIFO queue (an ordered listener's dead-letter queue) needs a group and a deduplication id:
    // the failed message's own group keeps its dead letters in the order they failed; each send is its own message.
    const fifo = queueName.endsWith('.fifo') ? { MessageGroupId: messageGroupId || 'dead-letters', MessageDeduplicationId: randomUUID() } : {};
    const out = await this.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: await this.locator.url(queueName), MessageBody: body, MessageAttributes: attributes, ...fifo }),
      // undefined, not {}: a call with options empties the client's middleware cache (aws-clients.ts).
      signal ? { abortSignal: signal } : undefined,
    );
    return out.MessageId ?? '';
  }

  private async sendBatch(queueName: string, entries: readonly PendingSend[]): Promise<void> {
    const queueUrl = await this.sendQueueUrl(queueName, entries);
    if (queueUrl === undefined) return;
    // Decided at the last moment: a send aborted until now is left out (and already rejected).
    const live = entries.filter((entry) => entry.state === 'waiting');
    if (live.length === 0) return;
    for (const entry of live) {
      entry.state = 'sending';
      entry.attempts += 1;
    }
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: live.map((entry, index) => ({ Id: String(index), MessageBody: entry.body })),
        }),
      );
    } catch (error) {
      // The whole call failed (after the SDK's retries): no message of it was sent.
      for (const entry of live) rejectSend(entry, error);
      return;
    }
    this.settleBatch(queueName, live, out);
  }

  /** The queue's URL, or undefined once every send of the batch has been rejected for want of it. */
  private async sendQueueUrl(queueName: string, entries: readonly PendingSend[]): Promise<string | undefined> {
    try {
      return await this.locator.url(queueName);
    } catch (error) {
      // The locator's error (e.g. GetQueueUrl's QueueDoesNotExist) does not say which queue.
      const { name, message } = errorParts(error);
      const failure = new QueueSendError(queueName, name, `could not find the queue's URL: ${message}`, undefined, {
        attempts: 0,
        cause: error,
      });
      for (const entry of entries) rejectSend(entry, failure);
      return undefined;
    }
  }

  /**
   * Resolves each sent message with its id. A message SQS failed through its own fault goes back
   * for a later batch while it has attempts left; any other failure rejects only its own send.
   */
  private settleBatch(queueName: string, live: readonly PendingSend[], out: SendMessageBatchCommandOutput): void {
    const succeeded = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId]));
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    const retries: PendingSend[] = [];
    live.forEach((entry, index) => {
      const id = String(index);
      const failure = failed.get(id);
      if (failure === undefined) {
        if (succeeded.has(id)) resolveSend(entry, succeeded.get(id) ?? '');
        // Not retried: SQS may have taken it, and a retry could deliver it twice.
        else rejectSend(entry, new QueueSendError(queueName, undefined, 'SendMessageBatch returned no result for this message', undefined));
      } else if (this.mayRetry(entry, failure)) {
        retries.push(entry);
      } else {
        rejectSend(entry, new QueueSendError(queueName, failure.Code, failure.Message, failure.SenderFault, { attempts: entry.attempts }));
      }
    });
    this.retryLater(queueName, retries);
  }

  /** Only SQS's own faults are worth another try; a refused message would be refused again. */
  private mayRetry(entry: PendingSend, failure: BatchResultErrorEntry): boolean {
    return entry.state === 'sending' && failure.SenderFault !== true && entry.attempts < this.sendMaxAttempts;
  }

  /** Puts failed sends back into a later batch, after an exponential backoff with jitter. */
  private retryLater(queueName: string, entries: readonly PendingSend[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) entry.state = 'waiting';
    this.sends.retryLater(entries, Math.max(...entries.map((entry) => entry.attempts)), queueName);
  }

  /**
   * The bus client is closing: sends waiting for a retry reject with `reason` instead of going out
   * after the caller has gone (and keeping the process alive until then); later sends reject too.
   */
  public close(reason: Error): void {
    this.closed = reason;
    for (const entry of this.sends.close()) rejectSend(entry, reason);
  }

  public async changeVisibility(queueName: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.locator.url(queueName),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }

  /** Deletes a message; batched with other deletes for the same queue. */
  public delete(queueName: string, receiptHandle: string): Promise<void> {
    return new Promise<void>((resolve, reject) => this.deletes.add({ receiptHandle, resolve, reject }, queueName));
  }

  private async deleteBatch(queueName: string, batch: readonly PendingDelete[]): Promise<void> {
    try {
      const out = await this.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: await this.locator.url(queueName),
          Entries: batch.map((d, index) => ({ Id: String(index), ReceiptHandle: d.receiptHandle })),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      batch.forEach((d, index) => {
        const failure = failed.get(String(index));
        if (failure) d.reject(new Error(`DeleteMessage failed on ${queueName}: ${failure.Code}: ${failure.Message}`));
        else d.resolve();
      });
    } catch (error) {
      for (const d of batch) d.reject(error as Error);
    }
  }
}

/** A send waiting for its batch; listens to the caller's signal until it settles. */
function pendingSend(
  body: string,
  signal: AbortSignal | undefined,
  resolve: (messageId: string) => void,
  reject: (error: unknown) => void,
): PendingSend {
  const entry: PendingSend = {
    body,
    bytes: Buffer.byteLength(body, 'utf8'),
    state: 'waiting',
    attempts: 0,
    resolve,
    reject,
    release: () => undefined,
  };
  if (!signal) return entry;
  // Whatever the send is doing, the caller stops waiting at once; sendBatch and settleBatch skip settled sends.
  const onAbort = () => rejectSend(entry, abortReason(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  entry.release = () => signal.removeEventListener('abort', onAbort);
  return entry;
}

function resolveSend(entry: PendingSend, messageId: string): void {
  if (settle(entry)) entry.resolve(messageId);
}

function rejectSend(entry: PendingSend, error: unknown): void {
  if (settle(entry)) entry.reject(error);
}

/** Marks a send settled and stops listening to its signal; false if it had settled already (it was aborted). */
function settle(entry: PendingSend): boolean {
  if (entry.state === 'settled') return false;
  entry.state = 'settled';
  entry.release();
  return true;
}

function errorParts(error: unknown): { name: string | undefined; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: undefined, message: String(error) };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
