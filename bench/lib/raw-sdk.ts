/** What a user writes with the raw SDK, shared by the scenarios' baselines. */
import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { eventDetailType, eventSource, WIRE_VERSION } from '../../runtime/messages/wire';
import { PING_NOTE } from '../fixtures/bench-api';

/** The PutEvents entry fire() sends for bench.ping (same source, detail-type and detail size), built by hand. */
export function rawPingEntry(busName: string, n: number): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: eventSource('bench'),
    DetailType: eventDetailType('bench', 'ping'),
    Detail: JSON.stringify({
      v: WIRE_VERSION,
      kind: 'lightbus.event',
      id: randomUUID(),
      api: 'bench',
      event: 'ping',
      parameters: { n, note: PING_NOTE },
      firedAt: new Date().toISOString(),
      sender: { service: 'bench', process: 'bench-0000' },
    }),
  };
}

/**
 * `pollers` concurrent loops of ReceiveMessage(10, 1 s long poll) + DeleteMessageBatch until `total`
 * messages are deleted; calls `onDrained` when the last batch is deleted.
 */
export async function rawDrainLoops(sqs: SQSClient, queueUrl: string, total: number, pollers: number, onDrained: () => void = () => undefined): Promise<void> {
  let deleted = 0;
  const loop = async () => {
    while (deleted < total) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) continue;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      deleted += messages.length;
      if (deleted >= total) onDrained();
    }
  };
  await Promise.all(Array.from({ length: pollers }, loop));
}
