/** Raw SDK clients and resource helpers for the baselines (what users hand-write). */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { chunk, pool, sleep } from './stats';

/**
 * The same client settings lightbus uses (keep-alive, 256 sockets, the SDK's middleware cache), so
 * a baseline differs from lightbus in its calls, not in how its SDK client is configured.
 */
export function clientConfig() {
  return {
    retryMode: 'standard',
    maxAttempts: 4,
    cacheMiddleware: true,
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets: 256 },
      httpsAgent: { keepAlive: true, maxSockets: 256 },
    },
  } as const;
}

export class RawClients {
  public readonly sqs = new SQSClient(clientConfig());
  public readonly eventBridge = new EventBridgeClient(clientConfig());
  public readonly dynamoDb = new DynamoDBClient(clientConfig());

  public destroy(): void {
    this.sqs.destroy();
    this.eventBridge.destroy();
    this.dynamoDb.destroy();
  }
}

/** `bench-<scenario>-<6 hex>`: every scenario gets fresh resources (the emulator slows as they grow). */
export function uniqueBusName(scenario: string): string {
  return `bench-${scenario}-${randomBytes(3).toString('hex')}`;
}

export async function createQueue(raw: RawClients, name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await raw.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return out.QueueUrl as string;
}

export async function createEventBus(raw: RawClients, name: string): Promise<void> {
  await raw.eventBridge.send(new CreateEventBusCommand({ Name: name }));
}

export async function createTable(raw: RawClients, name: string): Promise<void> {
  await raw.dynamoDb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  for (let i = 0; i < 100; i += 1) {
    const out = await raw.dynamoDb.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await sleep(50);
  }
}

/** Fills a queue with `bodies` using SendMessageBatch, 8 calls in flight. */
export async function fillQueue(raw: RawClients, queueUrl: string, bodies: readonly string[]): Promise<void> {
  const batches = chunk(bodies, 10);
  await pool(batches.length, 8, async (i) => {
    const batch = batches[i] as string[];
    const out = await raw.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, j) => ({ Id: String(j), MessageBody: body })) }),
    );
    if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed[0])}`);
  });
}

export async function queueDepth(raw: RawClients, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await raw.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
