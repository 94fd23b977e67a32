import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
  ScanCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { USERS_TABLE_KEY } from './users-table';

/**
 * auth's users in a DynamoDB table (see users-table.ts): a salted hash per username. Kept in a
 * table, not in the worker's memory, because a service on Lambda runs as many instances at once.
 * The table name is resolved on first use, so importing the bus module makes no call and needs
 * no table.
 */
export class UserTable {
  private client: DynamoDBClient | undefined;

  public constructor(private readonly tableName: () => string) {}

  /** Creates the user; false if the username is taken. */
  public async create(username: string, password: string, displayName?: string): Promise<boolean> {
    const salt = randomBytes(8).toString('hex');
    try {
      await this.dynamo().send(
        new PutItemCommand({
          TableName: this.tableName(),
          Item: {
            [USERS_TABLE_KEY]: { S: username },
            salt: { S: salt },
            hash: { B: hash(salt, password) },
            ...(displayName !== undefined ? { displayName: { S: displayName } } : {}),
          },
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': USERS_TABLE_KEY },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  public async check(username: string, password: string): Promise<boolean> {
    const item = (
      await this.dynamo().send(
        new GetItemCommand({ TableName: this.tableName(), Key: { [USERS_TABLE_KEY]: { S: username } }, ConsistentRead: true }),
      )
    ).Item;
    const salt = item?.salt?.S;
    const stored = item?.hash?.B;
    return salt !== undefined && stored !== undefined && timingSafeEqual(Buffer.from(stored), hash(salt, password));
  }

  /** How many users there are (a full count: fine for an example's table). */
  public async count(): Promise<number> {
    let total = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await this.dynamo().send(
        new ScanCommand({ TableName: this.tableName(), Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      total += page.Count ?? 0;
      startKey = page.LastEvaluatedKey as typeof startKey;
    } while (startKey !== undefined);
    return total;
  }

  private dynamo(): DynamoDBClient {
    this.client ??= new DynamoDBClient({});
    return this.client;
  }
}

/**
 * Creates the users table if it does not exist (the local run's provisioning; on AWS the CDK
 * example's stack creates it).
 */
export async function ensureUsersTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: USERS_TABLE_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: USERS_TABLE_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
}

function hash(salt: string, password: string): Buffer {
  return createHash('sha256').update(`${salt}:${password}`).digest();
}
