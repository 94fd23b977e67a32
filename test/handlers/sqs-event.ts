/**
 * Real SQS-event shapes for handler tests: messages received from the emulator's queues,
 * converted into the record shape Lambda's SQS event source mapping passes to a handler.
 * The e2e test uses the same conversion when it stands in for the emulator's ESM poller.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

export async function queueRef(sqs: SQSClient, url: string): Promise<QueueRef> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: out.Attributes?.QueueArn as string };
}

/** One SDK `Message` (received with all attributes) as a Lambda `SQSRecord`. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {}) as [string, MessageAttributeValue][]) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.AWSTraceHeader !== undefined ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

/** Receives up to `max` messages (waiting until at least `min` arrived or time runs out). */
export async function receiveSqsEvent(
  sqs: SQSClient,
  queue: QueueRef,
  options: { min?: number; max?: number; timeoutMs?: number } = {},
): Promise<SQSEvent> {
  const max = options.max ?? 10;
  const min = options.min ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const records: SQSRecord[] = [];
  while (records.length < min && Date.now() < deadline) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(10, max - records.length),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of out.Messages ?? []) records.push(toSqsRecord(message, queue.arn));
  }
  return { Records: records };
}

/** What an SQS event source mapping does with a batch response: deletes every record not reported. */
export async function settleLikeEventSourceMapping(sqs: SQSClient, queue: QueueRef, event: SQSEvent, response: SQSBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = event.Records.filter((r) => !failed.has(r.messageId));
  if (done.length === 0) return;
  await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queue.url,
      Entries: done.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
    }),
  );
}
