import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ResultAttributes as A } from '../messages/wire';
import type { AwsClients } from './aws-clients';

/** States of an exactly-once listener's record of one event (see docs/concepts.md, "Exactly-once listeners"). */
export const DedupeState = {
  /** A delivery is running the handler (or died doing so: past its lease, another may take over). */
  Claimed: 'claimed',
  /** The handler succeeded: later deliveries of the event id are skipped until the record expires. */
  Done: 'done',
} as const;
export type DedupeState = (typeof DedupeState)[keyof typeof DedupeState];

// Dedupe keys are one of the results table's key kinds: built by the one key module.
export { DEDUPE_KEY_PREFIX, dedupeKey } from '../topology/table-keys';

/** What one claim of an event needs to know. */
export interface DedupeClaimRequest {
  readonly table: string;
  readonly key: string;
  /** The process claiming (logged, and kept on the record for whoever inspects it). */
  readonly claimedBy: string;
  /** How long a `claimed` record holds: past it, its delivery is taken to have died and it may be taken over. */
  readonly leaseMs: number;
  /** How long the record is kept (DynamoDB TTL on `expiresAt`): the window in which a repeat is recognised. */
  readonly ttlSeconds: number;
}

/** A claim this delivery holds: only its holder may mark it done or release it. */
export interface DedupeClaim {
  readonly table: string;
  readonly key: string;
  readonly token: string;
}

/** What claiming an event found. */
export type DedupeClaimResult =
  | { readonly kind: 'claimed'; readonly claim: DedupeClaim; readonly tookOver: boolean }
  | { readonly kind: 'done' }
  /** Another delivery holds a live claim; `claimedAtMs` tells when its lease runs out. */
  | { readonly kind: 'busy'; readonly claimedAtMs: number };

/** The store an exactly-once listener records its events in; {@link DedupeStore} on DynamoDB, a stub in tests. */
export interface DedupeRecords {
  claim(request: DedupeClaimRequest): Promise<DedupeClaimResult>;
  markDone(claim: DedupeClaim): Promise<boolean>;
  release(claim: DedupeClaim): Promise<void>;
}

/**
 * Exactly-once listeners' records in the bus's results table: one conditional write to claim an
 * event before its handler runs, one to mark it done (or delete it, when the handler failed, so
 * the retry can run). Records expire with the table's TTL. An expired record that DynamoDB has not
 * deleted yet (it deletes lazily) counts as absent.
 */
export class DedupeStore implements DedupeRecords {
  public constructor(private readonly clients: Pick<AwsClients, 'dynamoDb'>) {}

  public async claim(request: DedupeClaimRequest): Promise<DedupeClaimResult> {
    const now = Date.now();
    const token = randomUUID();
    try {
      const out = await this.clients.dynamoDb.send(
        new PutItemCommand({
          TableName: request.table,
          Item: {
            [A.PartitionKey]: { S: request.key },
            [A.State]: { S: DedupeState.Claimed },
            [A.ClaimedBy]: { S: request.claimedBy },
            [A.ClaimedAt]: { N: String(now) },
            [A.ClaimToken]: { S: token },
            [A.ExpiresAt]: { N: String(Math.floor(now / 1000) + request.ttlSeconds) },
          },
          ConditionExpression:
            'attribute_not_exists(#pk) OR #expiresAt < :nowSeconds OR (#state = :claimed AND #claimedAt < :staleBefore)',
          ExpressionAttributeNames: { '#pk': A.PartitionKey, '#state': A.State, '#claimedAt': A.ClaimedAt, '#expiresAt': A.ExpiresAt },
          ExpressionAttributeValues: {
            ':claimed': { S: DedupeState.Claimed },
            ':staleBefore': { N: String(now - request.leaseMs) },
            ':nowSeconds': { N: String(Math.floor(now / 1000)) },
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      // A record replaced while `claimed` was a stale claim: an earlier delivery died mid-handler.
      const tookOver = out.Attributes?.[A.State]?.S === DedupeState.Claimed;
      return { kind: 'claimed', claim: { table: request.table, key: request.key, token }, tookOver };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return existing((error as { Item?: Record<string, AttributeValue> }).Item, now);
    }
  }

  /** Marks the event handled. False when the claim was no longer this delivery's (taken over as stale). */
  public async markDone(claim: DedupeClaim): Promise<boolean> {
    try {
      await this.clients.dynamoDb.send(
        new UpdateItemCommand({
          TableName: claim.table,
          Key: { [A.PartitionKey]: { S: claim.key } },
          UpdateExpression: 'SET #state = :done, #completedAt = :now',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#state': A.State, '#completedAt': A.CompletedAt, '#token': A.ClaimToken },
          ExpressionAttributeValues: { ':done': { S: DedupeState.Done }, ':now': { N: String(Date.now()) }, ':token': { S: claim.token } },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Gives the event up so its retry can claim it; a no-op when the claim is no longer this delivery's. */
  public async release(claim: DedupeClaim): Promise<void> {
    try {
      await this.clients.dynamoDb.send(
        new DeleteItemCommand({
          TableName: claim.table,
          Key: { [A.PartitionKey]: { S: claim.key } },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': A.ClaimToken },
          ExpressionAttributeValues: { ':token': { S: claim.token } },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return;
      throw error;
    }
  }
}

/** Reads the record that refused a claim. A record the condition refused is live: done, or claimed within its lease. */
function existing(item: Record<string, AttributeValue> | undefined, now: number): DedupeClaimResult {
  if (item?.[A.State]?.S === DedupeState.Done) return { kind: 'done' };
  const claimedAtMs = Number(item?.[A.ClaimedAt]?.N);
  // No item returned (an endpoint that ignores ReturnValuesOnConditionCheckFailure): treat it as a live claim, retried later.
  return { kind: 'busy', claimedAtMs: Number.isFinite(claimedAtMs) ? claimedAtMs : now };
}
