/**
 * Contract tests: the MiniStack behaviours lightbus-aws and its tests rely on
 * (emulator.md: "keep a contract test that asserts the emulator behaviour you rely on").
 * If a MiniStack version bump breaks one of these, fix the workaround before bumping the pin.
 */
import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { testEnvironment, uniqueName } from '../support/aws';

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const sqs = new SQSClient(clientConfig);
const events = new EventBridgeClient(clientConfig);
const dynamo = new DynamoDBClient(clientConfig);

/** Cleanup actions, run in reverse order after all tests; failures are ignored. */
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch(() => undefined);
  }
  sqs.destroy();
  events.destroy();
  dynamo.destroy();
});

/** A fresh table keyed by `pk` (string), deleted after the run. */
async function createTable(): Promise<string> {
  const tableName = uniqueName('contract-table');
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  cleanups.push(() => dynamo.send(new DeleteTableCommand({ TableName: tableName })));
  return tableName;
}

async function createQueue(
  prefix: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: uniqueName(prefix), Attributes: attributes }),
  );
  const url = created.QueueUrl;
  if (url === undefined) throw new Error('CreateQueue returned no QueueUrl');
  cleanups.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = attrs.Attributes?.QueueArn;
  if (arn === undefined) throw new Error('GetQueueAttributes returned no QueueArn');
  return { url, arn };
}

async function receive(
  queueUrl: string,
  options: { waitTimeSeconds?: number; visibilityTimeout?: number } = {},
): Promise<Message[]> {
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: options.waitTimeSeconds ?? 0,
      VisibilityTimeout: options.visibilityTimeout,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  return res.Messages ?? [];
}

async function approximateDepth(queueUrl: string): Promise<number> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(res.Attributes?.ApproximateNumberOfMessages ?? 'NaN');
}

describe('MiniStack emulator contract', () => {
  test('EventBridge rule on a custom bus delivers to SQS synchronously, in the standard envelope', async () => {
    const busName = uniqueName('contract-bus');
    await events.send(new CreateEventBusCommand({ Name: busName }));
    cleanups.push(() => events.send(new DeleteEventBusCommand({ Name: busName })));

    const queue = await createQueue('contract-eb-target');
    const ruleName = uniqueName('contract-rule');
    await events.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: busName,
        EventPattern: JSON.stringify({ 'detail-type': ['a.b'] }),
        State: 'ENABLED',
      }),
    );
    cleanups.push(() => events.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName })));
    // No queue policy needed: this suite's emulator runs without IAM evaluation (AUTH off); the
    // e2e test's emulator enforces it, and the construct adds the queue policy there.
    await events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: busName,
        Targets: [{ Id: 'queue', Arn: queue.arn }],
      }),
    );
    cleanups.push(() =>
      events.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ['queue'] })),
    );

    const detail = { hello: 'world', n: 1 };
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: busName, Source: 'lightbus.contract', DetailType: 'a.b', Detail: JSON.stringify(detail) },
          // Does not match the rule's pattern: must not be delivered.
          { EventBusName: busName, Source: 'lightbus.contract', DetailType: 'a.c', Detail: '{}' },
        ],
      }),
    );
    expect(put.FailedEntryCount ?? 0).toBe(0);

    // Delivery happens inside PutEvents (emulator.md gap 8): the message is queued already.
    expect(await approximateDepth(queue.url)).toBe(1);

    const messages = await receive(queue.url, { waitTimeSeconds: 1 });
    expect(messages).toHaveLength(1);
    const envelope = JSON.parse(messages[0]?.Body ?? 'null') as Record<string, unknown>;
    expect(envelope).toMatchObject({
      'detail-type': 'a.b',
      source: 'lightbus.contract',
      detail,
      region: env.region,
    });
    expect(typeof envelope.id).toBe('string');
    expect(typeof envelope.time).toBe('string');
    expect(typeof envelope.account).toBe('string');
  });

  test('SQS RedrivePolicy (queue created via the API) moves a message to the DLQ after maxReceiveCount', async () => {
    // Through the SQS API; test/e2e/cdk-deploy.test.ts pins that CloudFormation keeps the
    // RedrivePolicy the templates declare (MiniStack ≥ 1.5, as on AWS).
    const dlq = await createQueue('contract-dlq');
    const main = await createQueue('contract-redrive', {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });

    await sqs.send(new SendMessageCommand({ QueueUrl: main.url, MessageBody: 'poison' }));

    // First receive: delivered (receive count 1), not deleted; visibility 0 makes it visible again.
    const first = await receive(main.url);
    expect(first.map((m) => m.Body)).toEqual(['poison']);

    // Second receive would make the count 2 > maxReceiveCount: the message goes to the DLQ instead
    // (same as real SQS: the exceeding receive does not return it).
    const second = await receive(main.url);
    expect(second).toEqual([]);

    const dead = await receive(dlq.url);
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
    expect(await approximateDepth(main.url)).toBe(0);
  });

  test('DynamoDB conditional PutItem with attribute_not_exists fails the second time', async () => {
    const tableName = await createTable();

    const put = (): Promise<unknown> =>
      dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: 'id-1' }, value: { S: 'v' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

    await expect(put()).resolves.toBeDefined();
    const failure = await put().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    expect((failure as Error).name).toBe('ConditionalCheckFailedException');
  });

  test('DynamoDB conditional PutItem with ReturnValuesOnConditionCheckFailure ALL_OLD returns the existing item', async () => {
    // A retried claim tells its own earlier write from another delivery's by this item (claim-write.ts).
    const tableName = await createTable();
    const existing = { pk: { S: 'id-1' }, claimToken: { S: 'first' }, claimedAt: { N: '1764079996012' } };
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: existing }));
    const failure = await dynamo
      .send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: 'id-1' }, claimToken: { S: 'second' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    expect((failure as ConditionalCheckFailedException).Item).toEqual(existing);
  });

  test('DynamoDB BatchExecuteStatement INSERTs: DuplicateItem per statement for an existing key, answers in statement order', async () => {
    // The batched claims (claim-batcher.ts) read each claim's outcome from the answer at its index.
    const tableName = await createTable();
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'taken' }, v: { S: 'first' } } }));
    const insert = (pk: string) => ({ Statement: `INSERT INTO "${tableName}" VALUE {'pk': ?, 'v': ?}`, Parameters: [{ S: pk }, { S: 'batch' }] });
    const out = await dynamo.send(new BatchExecuteStatementCommand({ Statements: ['new-1', 'taken', 'new-2'].map(insert) }));
    expect(out.Responses).toHaveLength(3);
    expect(out.Responses!.map((r) => r.Error?.Code)).toEqual([undefined, 'DuplicateItem', undefined]);
    // Inserted items are written; the existing item is untouched.
    const stored = async (pk: string) => (await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item?.v?.S;
    expect(await Promise.all(['new-1', 'taken', 'new-2'].map(stored))).toEqual(['batch', 'first', 'batch']);
  });

  test('DynamoDB BatchExecuteStatement UPDATEs with a WHERE on the key and a non-key attribute: ConditionalCheckFailed per statement when it does not hold or the item is absent', async () => {
    // The batched results (result-batcher.ts): an UPDATE carries its UpdateItem's condition (state =
    // 'claimed') in its WHERE, never creates an item, and a failed condition is that statement's
    // ConditionalCheckFailed, leaving the others applied; quoted identifiers (state is a reserved word).
    const tableName = await createTable();
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'claimed' }, state: { S: 'claimed' } } }));
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'answered' }, state: { S: 'ok' }, result: { S: 'first' } } }));
    const update = (pk: string) => ({
      Statement: `UPDATE "${tableName}" SET "state" = ?, "result" = ?, "completedAt" = ? WHERE "pk" = ? AND "state" = ?`,
      Parameters: [{ S: 'ok' }, { S: 'batch' }, { N: '1764079996012' }, { S: pk }, { S: 'claimed' }],
    });
    const out = await dynamo.send(new BatchExecuteStatementCommand({ Statements: ['claimed', 'answered', 'absent'].map(update) }));
    expect(out.Responses).toHaveLength(3);
    expect(out.Responses!.map((r) => r.Error?.Code)).toEqual([undefined, 'ConditionalCheckFailed', 'ConditionalCheckFailed']);
    const stored = async (pk: string) => (await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
    expect(await stored('claimed')).toEqual({ pk: { S: 'claimed' }, state: { S: 'ok' }, result: { S: 'batch' }, completedAt: { N: '1764079996012' } });
    expect((await stored('answered'))?.result).toEqual({ S: 'first' });
    expect(await stored('absent')).toBeUndefined();
  });

  test('SQS returns ApproximateReceiveCount and increments it on each receive', async () => {
    const queue = await createQueue('contract-count', { VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'counted' }));

    const first = await receive(queue.url);
    expect(first).toHaveLength(1);
    expect(first[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    const receiptHandle = first[0]?.ReceiptHandle;
    if (receiptHandle === undefined) throw new Error('ReceiveMessage returned no ReceiptHandle');

    // Make it visible again at once instead of waiting out the visibility timeout.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queue.url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: 0,
      }),
    );

    const second = await receive(queue.url);
    expect(second).toHaveLength(1);
    expect(second[0]?.MessageId).toBe(first[0]?.MessageId);
    expect(second[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });
});
