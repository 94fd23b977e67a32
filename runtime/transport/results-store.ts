import { BatchGetItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging';
import { callResultKey, classifyKey, KeyKind } from '../topology/table-keys';
import { ResultAttributes as A, ResultState, type WireError, type WireTrace } from '../messages/wire';
import type { AwsClients } from './aws-clients';
import { ClaimBatcher } from './claim-batcher';
import type { ClaimRequest } from './claim-write';

/** A call's outcome as read from the results table. */
export type StoredResult =
  /** `resultRefJson`: the result is in the payload bucket (runtime/payloads resolves it); `resultJson` is then empty. */
  | { readonly state: typeof ResultState.Ok; readonly resultJson: string; readonly resultRefJson?: string }
  | { readonly state: typeof ResultState.Error; readonly error: WireError }
  | { readonly state: typeof ResultState.Claimed };

/** BatchGetItem reads at most 100 keys a call. */
export const MAX_KEYS_PER_BATCH_GET = 100;

/**
 * The results table: one item per call, keyed by call id (every key goes through
 * runtime/topology/table-keys.ts, so a call id never reaches another kind of item). A worker claims a call before running
 * it (so an SQS duplicate never runs twice) and then completes the claim with the result; a
 * completed item is never overwritten.
 */
export class ResultsStore {
  private readonly claims: ClaimBatcher;

  public constructor(private readonly clients: AwsClients) {
    this.claims = new ClaimBatcher(clients);
  }

  /**
   * Claims a call. Resolves false when another delivery of the same call already claimed it.
   * Claims made in the same event-loop turn share one BatchExecuteStatement (see ClaimBatcher);
   * `logger` hears the one warning if that is refused and claims fall back to PutItem.
   */
  public claim(request: ClaimRequest, logger?: Pick<Logger, 'warn'>): Promise<boolean> {
    return this.claims.claim(request, logger);
  }

  /**
   * Writes a call's outcome (and `trace`, the execution span's trace context, when given). Without a claim (`requireClaim: false`, used for error results of
   * messages that could not be claimed, e.g. malformed ones) it writes only where no item exists:
   * a malformed copy carrying a running call's id must not overwrite that call's claim.
   */
  public async complete(
    table: string,
    callId: string,
    outcome: { ok: true; resultJson: string } | { ok: true; resultRefJson: string } | { ok: false; error: WireError },
    expiresAtEpochSeconds: number,
    requireClaim = true,
    trace?: WireTrace,
  ): Promise<void> {
    const values: Record<string, AttributeValue> = {
      ':state': { S: outcome.ok ? ResultState.Ok : ResultState.Error },
      ':payload': { S: !outcome.ok ? JSON.stringify(outcome.error) : 'resultRefJson' in outcome ? outcome.resultRefJson : outcome.resultJson },
      ':now': { N: String(Date.now()) },
      ':expires': { N: String(expiresAtEpochSeconds) },
      ':claimed': { S: ResultState.Claimed },
    };
    const traceFields = traceUpdate(trace, values);
    try {
      await this.clients.dynamoDb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { [A.PartitionKey]: { S: callResultKey(callId) } },
          UpdateExpression: `SET #state = :state, #payload = :payload, #completedAt = :now, #expiresAt = :expires${traceFields.expression}`,
          ConditionExpression: requireClaim ? '#state = :claimed' : 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: {
            '#state': A.State,
            '#payload': !outcome.ok ? A.Error : 'resultRefJson' in outcome ? A.ResultRef : A.Result,
            '#completedAt': A.CompletedAt,
            '#expiresAt': A.ExpiresAt,
            ...traceFields.names,
            ...(requireClaim ? {} : { '#pk': A.PartitionKey }),
          },
          ExpressionAttributeValues: requireClaim ? values : withoutClaimed(values),
        }),
      );
    } catch (error) {
      // Already completed by another delivery: the first result stands.
      if ((error as Error).name === 'ConditionalCheckFailedException') return;
      throw error;
    }
  }

  /** Reads many calls' items with strongly consistent reads; absent items are absent in the map. */
  public async readMany(table: string, callIds: readonly string[]): Promise<Map<string, StoredResult>> {
    const found = new Map<string, StoredResult>();
    for (let start = 0; start < callIds.length; start += MAX_KEYS_PER_BATCH_GET) {
      let keys: Record<string, AttributeValue>[] = callIds
        .slice(start, start + MAX_KEYS_PER_BATCH_GET)
        .map((id) => ({ [A.PartitionKey]: { S: callResultKey(id) } }));
      // UnprocessedKeys come back under throttling: ask again for just those.
      for (let round = 0; keys.length > 0 && round < 5; round += 1) {
        const out = await this.clients.dynamoDb.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[table] ?? []) {
          const parsed = parseItem(item);
          if (parsed) found.set(parsed.callId, parsed.result);
        }
        keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return found;
  }
}

function parseItem(item: Record<string, AttributeValue>): { callId: string; result: StoredResult } | undefined {
  const callId = item[A.PartitionKey]?.S;
  const state = item[A.State]?.S;
  // Only call results are read here; anything else is not a call's outcome, whatever it holds.
  if (!callId || classifyKey(callId).kind !== KeyKind.CallResult) return undefined;
  if (state === ResultState.Ok) {
    const resultRefJson = item[A.ResultRef]?.S;
    if (resultRefJson !== undefined) return { callId, result: { state, resultJson: '', resultRefJson } };
    return { callId, result: { state, resultJson: item[A.Result]?.S ?? 'null' } };
  }
  if (state === ResultState.Error) {
    let error: WireError;
    try {
      error = JSON.parse(item[A.Error]?.S ?? '{}') as WireError;
    } catch {
      error = { name: 'Error', message: item[A.Error]?.S ?? 'unreadable error' };
    }
    return { callId, result: { state, error } };
  }
  return { callId, result: { state: ResultState.Claimed } };
}

/** DynamoDB refuses unused expression values: the unclaimed write's condition does not name `:claimed`. */
function withoutClaimed(values: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const { [':claimed']: _unused, ...rest } = values;
  return rest;
}

/**
 * The part of a result's update that writes the execution span's trace context (the `traceparent`
 * and `tracestate` attributes), adding its values to `values`; empty without a trace.
 */
function traceUpdate(trace: WireTrace | undefined, values: Record<string, AttributeValue>): { expression: string; names: Record<string, string> } {
  if (trace?.traceparent === undefined) return { expression: '', names: {} };
  values[':traceparent'] = { S: trace.traceparent };
  if (trace.tracestate === undefined) return { expression: ', #traceparent = :traceparent', names: { '#traceparent': A.Traceparent } };
  values[':tracestate'] = { S: trace.tracestate };
  return {
    expression: ', #traceparent = :traceparent, #tracestate = :tracestate',
    names: { '#traceparent': A.Traceparent, '#tracestate': A.Tracestate },
  };
}
