import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from './aws-clients';
import type { QueueLocator } from './queue-locator';

/** SQS's default (and our) maximum message size: 256 KiB. */
export const MAX_SQS_MESSAGE_BYTES = 256 * 1024;
/** DeleteMessageBatch takes at most 10 entries. */
const MAX_BATCH = 10;

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
}

/**
 * The SQS calls lightbus makes on queues it knows by name. Deletes are merged into
 * DeleteMessageBatch calls of up to 10 per queue: a full batch goes at once, a partial one after
 * `deleteLingerMs`, so a worker finishing messages at different moments still makes about a tenth
 * of the calls.
 */
export class QueueOperations {
  private readonly pendingDeletes = new Map<string, PendingDelete[]>();
  private deleteTimer: NodeJS.Timeout | undefined;
  private deleteImmediate: NodeJS.Immediate | undefined;
  private readonly deleteLingerMs: number;

  public constructor(
    private readonly clients: AwsClients,
    public readonly locator: QueueLocator,
    options: QueueOperationsOptions = {},
  ) {
    this.deleteLingerMs = Math.max(0, options.deleteLingerMs ?? 5);
  }

  public async send(
    queueName: string,
    body: string,
    attributes?: Record<string, MessageAttributeValue>,
    signal?: AbortSignal,
  ): Promise<string> {
    const out = await this.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: await this.locator.url(queueName),
        MessageBody: body,
        ...(attributes ? { MessageAttributes: attributes } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    return out.MessageId ?? '';
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
    return new Promise<void>((resolve, reject) => {
      const list = this.pendingDeletes.get(queueName) ?? [];
      list.push({ receiptHandle, resolve, reject });
      this.pendingDeletes.set(queueName, list);
      if (list.length >= MAX_BATCH) {
        // A full batch: send it now; what follows starts a new one.
        this.pendingDeletes.delete(queueName);
        void this.deleteBatch(queueName, list);
        return;
      }
      if (this.deleteLingerMs === 0) {
        this.deleteImmediate ??= setImmediate(() => this.flushDeletes());
      } else if (!this.deleteTimer) {
        this.deleteTimer = setTimeout(() => this.flushDeletes(), this.deleteLingerMs);
      }
    });
  }

  private flushDeletes(): void {
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    this.deleteImmediate = undefined;
    const byQueue = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    for (const [queueName, deletes] of byQueue) {
      for (let start = 0; start < deletes.length; start += MAX_BATCH) {
        void this.deleteBatch(queueName, deletes.slice(start, start + MAX_BATCH));
      }
    }
  }

  private async deleteBatch(queueName: string, batch: PendingDelete[]): Promise<void> {
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
