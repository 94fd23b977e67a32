import {
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeValue,
  type BatchStatementError,
  type BatchStatementRequest,
} from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../errors';
import { ResultAttributes as A, ResultState } from '../messages/wire';
import type { AwsClients } from './aws-clients';

/** What a worker writes to claim a call (docs/wire-format.md, "The claim, and at-most-once"). */
export interface ClaimRequest {
  readonly table: string;
  readonly callId: string;
  readonly api: string;
  readonly procedure: string;
  readonly claimedBy: string;
  readonly expiresAtEpochSeconds: number;
}

/** The claim item's attributes, in the order the INSERT statement lists them. */
const CLAIM_ATTRIBUTES = [A.PartitionKey, A.State, A.Api, A.Procedure, A.ClaimedBy, A.ClaimedAt, A.ExpiresAt] as const;

/**
 * The claim item. Both ways of writing it (PutItem, PartiQL INSERT) build it here, so the item on
 * the table is the same whichever went out.
 */
export function claimItem(request: ClaimRequest, claimedAtMs: number): Record<(typeof CLAIM_ATTRIBUTES)[number], AttributeValue> {
  return {
    [A.PartitionKey]: { S: request.callId },
    [A.State]: { S: ResultState.Claimed },
    [A.Api]: { S: request.api },
    [A.Procedure]: { S: request.procedure },
    [A.ClaimedBy]: { S: request.claimedBy },
    [A.ClaimedAt]: { N: String(claimedAtMs) },
    [A.ExpiresAt]: { N: String(request.expiresAtEpochSeconds) },
  };
}

/**
 * The claim as a PartiQL INSERT: it fails with `DuplicateItem` when the key exists, which is the
 * PutItem claim's `attribute_not_exists(pk)`. Values travel as parameters, never in the text.
 */
export function claimStatement(request: ClaimRequest, claimedAtMs: number): BatchStatementRequest {
  const item = claimItem(request, claimedAtMs);
  const tuple = CLAIM_ATTRIBUTES.map((name) => `'${name}': ?`).join(', ');
  return {
    Statement: `INSERT INTO ${quoteIdentifier(request.table)} VALUE {${tuple}}`,
    Parameters: CLAIM_ATTRIBUTES.map((name) => item[name]),
  };
}

/** A PartiQL identifier: double quotes, an inner `"` doubled (table names cannot hold one, but a caller names the table). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * How a statement's error reads as a claim: `DuplicateItem` (and `ConditionalCheckFailed`, its
 * conditional form) mean another delivery claimed the call first; anything else is a failure of
 * this claim only.
 */
export function claimOutcome(table: string, callId: string, error: BatchStatementError | undefined): boolean | ClaimWriteError {
  if (!error) return true;
  if (error.Code === 'DuplicateItem' || error.Code === 'ConditionalCheckFailed') return false;
  return new ClaimWriteError(table, callId, error.Code, error.Message);
}

/** The claim as one conditional PutItem (a lone claim, or the fallback when PartiQL is not allowed). */
export async function putClaim(clients: AwsClients, request: ClaimRequest, claimedAtMs: number): Promise<boolean> {
  try {
    await clients.dynamoDb.send(
      new PutItemCommand({
        TableName: request.table,
        Item: claimItem(request, claimedAtMs),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': A.PartitionKey },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
      return false;
    }
    throw error;
  }
}
