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

interface PendingDelete {
  readonly receiptHandle: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The SQS calls lightbus makes on queues it knows by name. Deletes from the same turn of the event
 * loop are merged into DeleteMessageBatch calls of up to 10: a worker finishing many messages at
 * once makes a tenth of the calls.
 */
export class QueueOperations {
  private readonly pendingDeletes = new Map<string, PendingDelete[]>();
  private deleteFlushScheduled = false;

  public constructor(
    private readonly clients: AwsClients,
    public readonly locator: QueueLocator,
  ) {}

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
      if (!this.deleteFlushScheduled) {
        this.deleteFlushScheduled = true;
        setImmediate(() => this.flushDeletes());
      }
    });
  }

  private flushDeletes(): void {
    this.deleteFlushScheduled = false;
    const byQueue = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    for (const [queueName, deletes] of byQueue) {
      for (let start = 0; start < deletes.length; start += 10) {
        void this.deleteBatch(queueName, deletes.slice(start, start + 10));
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
