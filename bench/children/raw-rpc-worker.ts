/**
 * The floor of the RPC round trip: a worker written with the raw SDK, as a user would, with no
 * lightbus code. Long-polls the request queue, writes each result with PutItem, deletes the
 * message. Env: QUEUE_URL, TABLE, POLLERS (default 1), REPLY_MODE ('table' | 'queue').
 * In 'queue' mode it sends the result to the caller's reply queue (the message attribute
 * ReplyTo) instead of writing the table: the per-process reply-queue alternative.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { RawClients } from '../lib/aws';

const queueUrl = process.env.QUEUE_URL as string;
const table = process.env.TABLE as string;
const pollers = Number(process.env.POLLERS ?? '1');
const replyMode = process.env.REPLY_MODE ?? 'table';
const raw = new RawClients();
let running = true;

async function handle(message: Message): Promise<void> {
  const request = JSON.parse(message.Body ?? '{}') as { id: string; n: number };
  if (replyMode === 'queue') {
    const replyTo = message.MessageAttributes?.ReplyTo?.StringValue as string;
    await raw.sqs.send(new SendMessageCommand({ QueueUrl: replyTo, MessageBody: JSON.stringify({ id: request.id, result: request.n }) }));
  } else {
    await raw.dynamoDb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: request.id }, result: { S: JSON.stringify(request.n) } } }),
    );
  }
  await raw.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
}

async function poll(): Promise<void> {
  while (running) {
    const out = await raw.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    await Promise.all((out.Messages ?? []).map(handle));
  }
}

process.on('SIGTERM', () => {
  running = false;
  setTimeout(() => process.exit(0), 1500).unref();
});
const loops = Array.from({ length: pollers }, poll);
process.send?.({ type: 'ready' });
void Promise.all(loops).then(() => {
  raw.destroy();
  process.exit(0);
});
