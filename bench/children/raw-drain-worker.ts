/**
 * The raw-SDK consumer for the events-end-to-end baseline, in its own process as the lightbus
 * worker is: POLLERS concurrent loops of ReceiveMessage(10, long poll) + DeleteMessageBatch on
 * QUEUE_URL, with no lightbus code. Reports {type:'drained', count, lastAt} over IPC once TOTAL
 * messages are deleted. Env: QUEUE_URL, TOTAL, POLLERS (default 8).
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { RawClients } from '../lib/aws';

const queueUrl = process.env.QUEUE_URL as string;
const total = Number(process.env.TOTAL);
const pollers = Number(process.env.POLLERS ?? '8');
const raw = new RawClients();
let deleted = 0;

async function poll(): Promise<void> {
  while (deleted < total) {
    const out = await raw.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) continue;
    await raw.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
    deleted += messages.length;
    if (deleted >= total) process.send?.({ type: 'drained', count: deleted, lastAt: Date.now() });
  }
}

process.send?.({ type: 'ready' });
void Promise.all(Array.from({ length: pollers }, poll)).then(() => {
  raw.destroy();
  setTimeout(() => process.exit(0), 100);
});
