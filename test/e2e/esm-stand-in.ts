/**
 * A stand-in for the emulator's SQS event source mapping, for one queue and function.
 *
 * Why (emulator gap, observed on MiniStack 1.4.21): its ESM poller is one thread that invokes
 * functions synchronously, one batch at a time. A listener Lambda that calls an RPC served by
 * another Lambda (auth's listener calls auth.createUser) blocks that thread while it waits, so
 * the RPC request is never delivered and the call times out — a deadlock real AWS does not have.
 *
 * The stand-in takes over a queue only when a message has sat there, visible and unreceived, for
 * longer than the ESM's idle tick (1 s) several times over — i.e. only when the ESM is stuck —
 * and then does what an ESM does: receive, invoke the function with the SQS event, delete what
 * the batch response does not report. `takeovers` counts the batches it had to serve; the e2e test
 * asserts it is > 0, so a MiniStack that fixes the gap makes the test say so.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { toSqsRecord, type QueueRef } from '../handlers/sqs-event';
import { invokeLambda } from './lambda-invoke';

const STUCK_AFTER_MS = 2500;
const CHECK_EVERY_MS = 250;

export class EsmStandIn {
  public takeovers = 0;
  /** Whether the skipOnce request was seen and left unserved. */
  public skipped = false;
  public readonly served: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  public constructor(
    private readonly sqs: SQSClient,
    private readonly queue: QueueRef,
    private readonly functionName: string,
    /**
     * Requests to leave unserved the first time they are seen (the test uses it to make exactly
     * one listener call time out). Left alone, a message reappears after its visibility timeout.
     */
    private readonly skipOnce: (body: string) => boolean = () => false,
  ) {
    this.loop = this.run();
  }

  public async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let waitingSince: number | undefined;
    while (this.running) {
      await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
      const attributes = await this.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const visible = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
      if (visible === 0) {
        waitingSince = undefined;
        continue;
      }
      waitingSince ??= Date.now();
      if (Date.now() - waitingSince < STUCK_AFTER_MS) continue;
      waitingSince = undefined;
      await this.serveOneBatch();
    }
  }

  private async serveOneBatch(): Promise<void> {
    const received = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queue.url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const records = (received.Messages ?? []).map((m) => toSqsRecord(m, this.queue.arn)).filter((r) => {
      if (this.skipped || !this.skipOnce(r.body)) return true;
      this.skipped = true;
      return false;
    });
    if (records.length === 0) return;
    this.takeovers++;
    this.served.push(...records.map((r) => r.body));
    const result = await invokeLambda(this.functionName, { Records: records });
    const failed = new Set(
      result.functionError ? records.map((r) => r.messageId) : ((result.payload as SQSBatchResponse).batchItemFailures ?? []).map((f) => f.itemIdentifier),
    );
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: done.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }
}
