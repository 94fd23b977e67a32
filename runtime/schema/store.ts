import { GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SCHEMA_KEY_PREFIX, schemaKey } from '../topology/table-keys';
import type { AwsClients } from '../transport/aws-clients';
import { readApiSchema, type ApiSchema } from './json-schema';

/**
 * API schemas live in the results table, one item per API, beside the RPC results (see
 * docs/schema.md for the item format), keyed `schema#<api>` (runtime/topology/table-keys.ts: a
 * call id never contains `#`, so no call can name a schema's key).
 */
export { SCHEMA_KEY_PREFIX, schemaKey };

export const SchemaAttributes = {
  PartitionKey: 'pk',
  Kind: 'kind',
  Api: 'api',
  Version: 'version',
  Schema: 'schema',
  PublishedAt: 'publishedAt',
  PublishedBy: 'publishedBy',
  /** On schemas published at deploy time: the physical id of the custom resource that wrote them. */
  Deployment: 'deployment',
  /** The table's TTL attribute (epoch seconds). Absent on schemas published at deploy time. */
  ExpiresAt: 'expiresAt',
} as const;

export const SCHEMA_ITEM_KIND = 'schema';

/** A schema as stored on the bus, with who published it and until when it is valid. */
export interface StoredSchema {
  readonly schema: ApiSchema;
  readonly publishedAt: number;
  readonly publishedBy: string;
  /** Epoch seconds; undefined for a deployed service's schema, which does not expire. */
  readonly expiresAt: number | undefined;
}

export interface SchemaItemOptions {
  /** Who publishes: a process (`service/process`) or a deployment (`deploy:<service>`). */
  readonly publishedBy: string;
  /** Epoch ms. @default now */
  readonly publishedAt?: number;
  /** Epoch seconds after which readers ignore the item and DynamoDB's TTL deletes it; omit for no expiry. */
  readonly expiresAtEpochSeconds?: number;
}

/** The DynamoDB item (attribute values) of an API's schema. */
export function schemaItem(schema: ApiSchema, options: SchemaItemOptions): Record<string, AttributeValue> {
  const A = SchemaAttributes;
  return {
    [A.PartitionKey]: { S: schemaKey(schema.api) },
    [A.Kind]: { S: SCHEMA_ITEM_KIND },
    [A.Api]: { S: schema.api },
    [A.Version]: { S: schema.version },
    [A.Schema]: { S: JSON.stringify(schema) },
    [A.PublishedAt]: { N: String(options.publishedAt ?? Date.now()) },
    [A.PublishedBy]: { S: options.publishedBy },
    ...(options.expiresAtEpochSeconds !== undefined ? { [A.ExpiresAt]: { N: String(options.expiresAtEpochSeconds) } } : {}),
  };
}

/** Reads a schema item; a reason instead when it cannot be used. */
export function parseSchemaItem(item: Record<string, AttributeValue>): { ok: true; stored: StoredSchema } | { ok: false; problem: string } {
  const A = SchemaAttributes;
  const text = item[A.Schema]?.S;
  if (text === undefined) return { ok: false, problem: `the item has no "${A.Schema}" string attribute` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `its "${A.Schema}" attribute is not JSON: ${(error as Error).message}` };
  }
  const read = readApiSchema(json);
  if (!read.ok) return { ok: false, problem: `its "${A.Schema}" attribute is not a lightbus API schema: ${read.problem}` };
  const expires = item[A.ExpiresAt]?.N;
  return {
    ok: true,
    stored: {
      schema: read.schema,
      publishedAt: Number(item[A.PublishedAt]?.N ?? 0),
      publishedBy: item[A.PublishedBy]?.S ?? 'unknown',
      expiresAt: expires === undefined ? undefined : Number(expires),
    },
  };
}

/** True once a stored schema's expiresAt has passed (DynamoDB's TTL reaper deletes items late). */
export function isExpired(stored: Pick<StoredSchema, 'expiresAt'>, now = Date.now()): boolean {
  return stored.expiresAt !== undefined && stored.expiresAt * 1000 <= now;
}

export type SchemaLookup =
  | { readonly state: 'found'; readonly stored: StoredSchema }
  | { readonly state: 'expired'; readonly stored: StoredSchema }
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly problem: string };

export type PublishOutcome =
  | { readonly state: 'published' }
  /** A deployed (non-expiring) schema is there: a running process does not replace it. */
  | { readonly state: 'kept-deployed'; readonly deployedVersion: string | undefined };

/** Reads and writes schema items in one results table. */
export class SchemaStore {
  public constructor(
    private readonly clients: AwsClients,
    public readonly table: string,
  ) {}

  public async get(api: string): Promise<SchemaLookup> {
    const out = await this.clients.dynamoDb.send(
      new GetItemCommand({ TableName: this.table, Key: { [SchemaAttributes.PartitionKey]: { S: schemaKey(api) } }, ConsistentRead: true }),
    );
    if (!out.Item) return { state: 'missing' };
    const parsed = parseSchemaItem(out.Item);
    if (!parsed.ok) return { state: 'invalid', problem: parsed.problem };
    return isExpired(parsed.stored) ? { state: 'expired', stored: parsed.stored } : { state: 'found', stored: parsed.stored };
  }

  /**
   * Publishes a schema that expires unless refreshed. Never replaces a deployed schema (one
   * without `expiresAt`): on a deployed bus the deployment's contract stands.
   */
  public async publish(schema: ApiSchema, options: { publishedBy: string; ttlSeconds: number }): Promise<PublishOutcome> {
    const A = SchemaAttributes;
    const now = Date.now();
    try {
      await this.clients.dynamoDb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: schemaItem(schema, {
            publishedBy: options.publishedBy,
            publishedAt: now,
            expiresAtEpochSeconds: Math.ceil(now / 1000) + options.ttlSeconds,
          }),
          ConditionExpression: 'attribute_not_exists(#pk) OR attribute_exists(#expiresAt)',
          ExpressionAttributeNames: { '#pk': A.PartitionKey, '#expiresAt': A.ExpiresAt },
        }),
      );
      return { state: 'published' };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      const existing = await this.get(schema.api);
      return { state: 'kept-deployed', deployedVersion: 'stored' in existing ? existing.stored.schema.version : undefined };
    }
  }

  /** Writes an item as given (deploy-time items, tests). */
  public async put(item: Record<string, AttributeValue>): Promise<void> {
    await this.clients.dynamoDb.send(new PutItemCommand({ TableName: this.table, Item: item }));
  }

  /**
   * Every schema item in the table, expired ones included (the caller decides). A Scan reads the
   * whole table (results too), so this is for tools (`lightbus dumpschema`), never the hot path.
   */
  public async list(): Promise<{ stored: StoredSchema[]; invalid: { api: string; problem: string }[] }> {
    const stored: StoredSchema[] = [];
    const invalid: { api: string; problem: string }[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.clients.dynamoDb.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': SchemaAttributes.PartitionKey },
          ExpressionAttributeValues: { ':prefix': { S: SCHEMA_KEY_PREFIX } },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const parsed = parseSchemaItem(item);
        if (parsed.ok) stored.push(parsed.stored);
        else invalid.push({ api: item[SchemaAttributes.Api]?.S ?? item[SchemaAttributes.PartitionKey]?.S ?? '?', problem: parsed.problem });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    stored.sort((a, b) => a.schema.api.localeCompare(b.schema.api));
    return { stored, invalid };
  }
}
