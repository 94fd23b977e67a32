import { ConditionalCheckFailedException, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiOwnershipError } from './errors';
import { OWNER_RECORD_KIND, OwnerAttributes, ownerKey } from './keys';

export interface OwnershipClaim {
  readonly tableName: string;
  readonly api: string;
  /** The service that serves the API. */
  readonly service: string;
  /** A worker's process name, or `deploy:<service>`. */
  readonly claimedBy: string;
  /** Move the API to `service` even if another service owns it (a migration). @default false */
  readonly takeOwnership?: boolean;
  /** @default Date.now() */
  readonly now?: number;
}

export type OwnershipOutcome =
  | { readonly status: 'claimed' | 'confirmed' }
  | { readonly status: 'taken'; readonly previousOwner: string };

/**
 * Records `service` as the owner of `api`, with the condition `attribute_not_exists(pk) OR owner = :me`:
 * the first service to claim an API owns it until ownership is taken over explicitly. Throws
 * {@link ApiOwnershipError} naming both services when another service owns it.
 */
export async function claimApiOwnership(dynamoDb: Pick<DynamoDBClient, 'send'>, claim: OwnershipClaim): Promise<OwnershipOutcome> {
  const A = OwnerAttributes;
  const item: Record<string, AttributeValue> = {
    pk: { S: ownerKey(claim.api) },
    [A.Kind]: { S: OWNER_RECORD_KIND },
    [A.Api]: { S: claim.api },
    [A.Owner]: { S: claim.service },
    [A.ClaimedBy]: { S: claim.claimedBy },
    [A.ClaimedAt]: { N: String(claim.now ?? Date.now()) },
  };
  if (claim.takeOwnership) {
    const out = await dynamoDb.send(new PutItemCommand({ TableName: claim.tableName, Item: item, ReturnValues: 'ALL_OLD' }));
    const previous = out.Attributes?.[A.Owner]?.S;
    if (previous === undefined) return { status: 'claimed' };
    if (previous === claim.service) return { status: 'confirmed' };
    // Record the move on the item too, for whoever wonders later.
    await dynamoDb.send(new PutItemCommand({ TableName: claim.tableName, Item: { ...item, [A.PreviousOwner]: { S: previous } } }));
    return { status: 'taken', previousOwner: previous };
  }
  try {
    const out = await dynamoDb.send(
      new PutItemCommand({
        TableName: claim.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :me',
        ExpressionAttributeNames: { '#owner': A.Owner },
        ExpressionAttributeValues: { ':me': { S: claim.service } },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { status: out.Attributes === undefined ? 'claimed' : 'confirmed' };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const owner = (error as ConditionalCheckFailedException).Item?.[A.Owner]?.S ?? '(unknown)';
    throw new ApiOwnershipError(claim.api, owner, claim.service);
  }
}

/**
 * The deploy-time claim (the `Custom::LightbusSchemas` handler, on Create and Update): claims each
 * API for `service` as `deploy:<service>`, in order, and throws the first refusal.
 */
export async function claimOwnershipAtDeploy(
  dynamoDb: Pick<DynamoDBClient, 'send'>,
  deployment: { readonly tableName: string; readonly service: string; readonly apis: readonly string[]; readonly takeOwnership?: boolean },
): Promise<Map<string, OwnershipOutcome>> {
  const outcomes = new Map<string, OwnershipOutcome>();
  for (const api of [...deployment.apis].sort()) {
    outcomes.set(
      api,
      await claimApiOwnership(dynamoDb, {
        tableName: deployment.tableName,
        api,
        service: deployment.service,
        claimedBy: `deploy:${deployment.service}`,
        ...(deployment.takeOwnership ? { takeOwnership: true } : {}),
      }),
    );
  }
  return outcomes;
}
