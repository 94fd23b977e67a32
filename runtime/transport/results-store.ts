import { BatchGetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging';
import { callResultKey, classifyKey, KeyKind } from '../topology/table-keys';
import { ResultAttributes as A, ResultState, type WireError, type WireTrace } from '../messages/wire';
import type { AwsClients } from './aws-clients';
import { ClaimBatcher } from './claim-batcher';
import type { ClaimRequest } from './claim-write';
import { ResultBatcher } from './result-batcher';
import { updateResult, type ResultOutcome, type ResultWrite } from './result-write';

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
  private readonly results: ResultBatcher;
  /** The logger the claims were given: it hears the one warning if batched results fall back to UpdateItem. */
  private logger: Pick<Logger, 'warn'> | undefined;

  public constructor(private readonly clients: AwsClients) {
    this.claims = new ClaimBatcher(clients);
    this.results = new ResultBatcher(clients);
  }

  /**
   * Claims a call. Resolves false when another delivery of the same call already claimed it.
   * Claims made in the same event-loop turn share one BatchExecuteStatement (see ClaimBatcher);
   * `logger` hears the one warning if that is refused and claims fall back to PutItem.
   */
  public claim(request: ClaimRequest, logger?: Pick<Logger, 'warn'>): Promise<boolean> {
    if (logger !== undefined) this.logger = logger;
    return this.claims.claim(request, logger);
  }

  /**
   * Writes a call's outcome (and `trace`, the execution span's trace context, when given). Without a claim (`requireClaim: false`, used for error results of
   * messages that could not be claimed, e.g. malformed ones) it writes only where no item exists:
   * a malformed copy carrying a running call's id must not overwrite that call's claim. Claimed
   * results written in the same event-loop turn share one BatchExecuteStatement (see ResultBatcher);
   * an unclaimed one is always an UpdateItem (a PartiQL UPDATE cannot write where no item exists).
   */
  public complete(
    table: string,
    callId: string,
    outcome: ResultOutcome,
    expiresAtEpochSeconds: number,
    requireClaim = true,
    trace?: WireTrace,
  ): Promise<void> {
    const write: ResultWrite = trace === undefined ? { table, callId, outcome, expiresAtEpochSeconds } : { table, callId, outcome, expiresAtEpochSeconds, trace };
    if (!requireClaim) return updateResult(this.clients, write, false);
    // The claim's logger: a worker writes a result only after claiming the call in this process.
    return this.results.complete(write, this.logger);
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
