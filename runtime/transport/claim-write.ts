import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeValue,
  type BatchStatementError,
  type BatchStatementRequest,
} from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../errors';
import { ResultAttributes as A, ResultState } from '../messages/wire';
import { callResultKey } from '../topology/table-keys';
import type { AwsClients } from './aws-clients';

/** What a worker writes to claim a call (docs/wire-format.md, "The claim, and at-most-once"). */
export interface ClaimRequest {
  readonly table: string;
  readonly callId: string;
  readonly api: string;
  readonly procedure: string;
  readonly claimedBy: string;
  readonly expiresAtEpochSeconds: number;
  /**
   * The call's parameters as JSON, when small (the dispatcher leaves larger ones out): written with
   * the claim so that observers of the table (the dashboard reads its stream) see what was asked.
   * Same write, no extra call.
   */
  readonly parametersJson?: string;
}

/**
 * What tells one claim attempt's item from any other: one delivery's claim keeps its attempt
 * through every write of it (the batched INSERT, the PutItem that retries it, the SDK's retries of
 * that), so a retry that finds the item its own earlier try wrote knows the call is its own.
 * `claimedBy` and `claimedAt` alone are not enough: two deliveries of one call in one process can
 * claim in the same millisecond.
 */
export interface ClaimAttempt {
  readonly claimedAtMs: number;
  readonly token: string;
}

export function newClaimAttempt(): ClaimAttempt {
  return { claimedAtMs: Date.now(), token: randomUUID() };
}

/** The claim item's attributes, in the order the INSERT statement lists them. */
const CLAIM_ATTRIBUTES = [A.PartitionKey, A.State, A.Api, A.Procedure, A.ClaimedBy, A.ClaimedAt, A.ClaimToken, A.ExpiresAt] as const;

/**
 * The claim item. Both ways of writing it (PutItem, PartiQL INSERT) build it here, so the item on
 * the table is the same whichever went out.
 */
export function claimItem(request: ClaimRequest, attempt: ClaimAttempt): Record<(typeof CLAIM_ATTRIBUTES)[number], AttributeValue> & { [A.Parameters]?: AttributeValue } {
  return {
    [A.PartitionKey]: { S: callResultKey(request.callId) },
    [A.State]: { S: ResultState.Claimed },
    [A.Api]: { S: request.api },
    [A.Procedure]: { S: request.procedure },
    [A.ClaimedBy]: { S: request.claimedBy },
    [A.ClaimedAt]: { N: String(attempt.claimedAtMs) },
    [A.ClaimToken]: { S: attempt.token },
    [A.ExpiresAt]: { N: String(request.expiresAtEpochSeconds) },
    ...(request.parametersJson !== undefined ? { [A.Parameters]: { S: request.parametersJson } } : {}),
  };
}

/**
 * The claim as a PartiQL INSERT: it fails with `DuplicateItem` when the key exists, which is the
 * PutItem claim's `attribute_not_exists(pk)`. Values travel as parameters, never in the text.
 */
export function claimStatement(request: ClaimRequest, attempt: ClaimAttempt): BatchStatementRequest {
  const item = claimItem(request, attempt);
  const names: readonly (keyof typeof item)[] = item[A.Parameters] !== undefined ? [...CLAIM_ATTRIBUTES, A.Parameters] : CLAIM_ATTRIBUTES;
  const tuple = names.map((name) => `'${name}': ?`).join(', ');
  return {
    Statement: `INSERT INTO ${quoteIdentifier(request.table)} VALUE {${tuple}}`,
    Parameters: names.map((name) => item[name] as AttributeValue),
  };
}

/** A PartiQL identifier: double quotes, an inner `"` doubled (table names cannot hold one, but a caller names the table). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * How a statement's error reads as a claim: `DuplicateItem` (and `ConditionalCheckFailed`, its
 * conditional form) mean another delivery claimed the call first; anything else is a failure of
 * this claim only. (A batch statement is this attempt's first write, so a duplicate there is never
 * its own; DynamoDB returns no item with `DuplicateItem` to check that by anyway.)
 */
export function claimOutcome(table: string, callId: string, error: BatchStatementError | undefined): boolean | ClaimWriteError {
  if (!error) return true;
  if (error.Code === 'DuplicateItem' || error.Code === 'ConditionalCheckFailed') return false;
  return new ClaimWriteError(table, callId, error.Code, error.Message);
}

/**
 * The claim as one conditional PutItem (a lone claim, a claim retried alone, or the fallback when
 * PartiQL is not allowed). A failed condition returns the existing item (`ALL_OLD`): when that is
 * this attempt's own claim (an earlier try that DynamoDB applied but whose answer was lost or came
 * back as an error), the call is ours, not a duplicate.
 */
export async function putClaim(clients: AwsClients, request: ClaimRequest, attempt: ClaimAttempt): Promise<boolean> {
  try {
    return await sendPutClaim(clients, request, attempt);
  } catch (error) {
    // The SDK retried and gave up: an earlier try may have been applied. One more look settles it
    // (this attempt's own item, or the first write now) rather than leaving it to a redelivery,
    // whose new attempt would find this one's item and drop the call unrun.
    if (sdkAttempts(error) > 1) return sendPutClaim(clients, request, attempt);
    throw error;
  }
}

async function sendPutClaim(clients: AwsClients, request: ClaimRequest, attempt: ClaimAttempt): Promise<boolean> {
  try {
    await clients.dynamoDb.send(
      new PutItemCommand({
        TableName: request.table,
        Item: claimItem(request, attempt),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': A.PartitionKey },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return isOwnClaim(error.Item, request, attempt);
    throw error;
  }
}

/** How many attempts the SDK made for a call: its output, or its error, records them in `$metadata`. */
export function sdkAttempts(outputOrError: unknown): number {
  return (outputOrError as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
}

function isConditionalCheckFailed(error: unknown): error is Pick<ConditionalCheckFailedException, 'Item'> {
  return error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';
}

/** Whether an existing item is the one this attempt writes (see ClaimAttempt). */
export function isOwnClaim(item: Record<string, AttributeValue> | undefined, request: ClaimRequest, attempt: ClaimAttempt): boolean {
  return (
    item?.[A.ClaimToken]?.S === attempt.token &&
    item[A.ClaimedBy]?.S === request.claimedBy &&
    item[A.ClaimedAt]?.N === String(attempt.claimedAtMs)
  );
}
