import { BatchExecuteStatementCommand, type BatchStatementResponse } from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../errors';
import type { Logger } from '../logging';
import { callResultKey } from '../topology/table-keys';
import type { AwsClients } from './aws-clients';
import { MicroBatcher } from './micro-batcher';
import { claimOutcome, claimStatement, newClaimAttempt, putClaim, sdkAttempts, type ClaimAttempt, type ClaimRequest } from './claim-write';

/** BatchExecuteStatement takes at most 25 statements. */
export const MAX_CLAIMS_PER_BATCH = 25;

/**
 * Whole-call errors that mean "this principal or endpoint cannot run PartiQL": a deployment whose
 * hand-written IAM grants PutItem but not `dynamodb:PartiQLInsert`, or a DynamoDB-compatible
 * store without PartiQL. The claims then go out as PutItem, as before batching existed.
 */
const FALLBACK_ERRORS = new Set(['AccessDeniedException', 'UnknownOperationException']);

/** The statement error IAM gives one INSERT it refuses (no PartiQLInsert, or a key condition). */
const STATEMENT_ACCESS_DENIED = 'AccessDenied';

/**
 * Statement errors whose claim is retried alone, as a PutItem: capacity and transient ones (PutItem
 * retries them with the SDK's backoff, as a claim did before claims were batched), and AccessDenied
 * (the principal may be allowed PutItem where it is refused PartiQLInsert).
 */
const RETRY_ALONE_CODES = new Set([
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflict',
  STATEMENT_ACCESS_DENIED,
]);

const FALLBACK_WARNING =
  'Claims go out as one PutItem each: BatchExecuteStatement (PartiQL INSERT) was refused. Grant dynamodb:PartiQLInsert on the results table (see docs/deployment.md) to batch them.';

interface PendingClaim {
  readonly request: ClaimRequest;
  readonly attempt: ClaimAttempt;
  readonly logger: Pick<Logger, 'warn'> | undefined;
  readonly resolve: (claimed: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Merges the claims made in one event-loop turn into BatchExecuteStatement calls of up to 25
 * PartiQL INSERTs. A worker dispatches a received batch in one turn, so its claims cost one call
 * instead of one PutItem each. Each INSERT succeeds or fails on its own, like the PutItem it
 * replaces. No linger: what one turn claims goes out at its end, a full batch at once, and a lone
 * claim goes out as a plain PutItem (one call either way).
 */
export class ClaimBatcher {
  /**
   * One batch for all tables (a statement names its table). Two deliveries of one call in one
   * turn must not share a call (DynamoDB does not promise how two writes of one key in one batch
   * resolve): the second goes in another call, which may be in flight at the same time, so either
   * claim may win: the key's condition lets exactly one of them through.
   */
  private readonly batcher = new MicroBatcher<PendingClaim>({
    maxEntries: MAX_CLAIMS_PER_BATCH,
    distinctBy: (entry) => claimKey(entry.request),
    linger: 'turn',
    send: (entries) => this.sendGathered(entries),
  });
  /** Set once PartiQL was refused for the principal (not for one key): every claim from then on is a PutItem. */
  private usePutItem = false;

  public constructor(private readonly clients: AwsClients) {}

  /** Claims a call. Resolves false when another delivery already claimed it. */
  public claim(request: ClaimRequest, logger?: Pick<Logger, 'warn'>): Promise<boolean> {
    // An id that is not a call-result key is refused here, before it can share (and fail) a batch.
    try {
      callResultKey(request.callId);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // One attempt per claim, kept through every write of it, so a retry can recognise its own item.
    const attempt = newClaimAttempt();
    if (this.usePutItem) return putClaim(this.clients, request, attempt);
    return new Promise<boolean>((resolve, reject) => this.batcher.add({ request, attempt, logger, resolve, reject }));
  }

  /** A lone claim is a plain PutItem (one call either way); more are one BatchExecuteStatement. */
  private async sendGathered(entries: readonly PendingClaim[]): Promise<void> {
    if (entries.length === 1) await this.sendOne(entries[0]!);
    else if (entries.length > 1) await this.sendBatch(entries);
  }

  /** Claims with one PutItem. Resolves whether DynamoDB answered it (claimed or not), false when it threw. */
  private async sendOne(entry: PendingClaim): Promise<boolean> {
    try {
      entry.resolve(await putClaim(this.clients, entry.request, entry.attempt));
      return true;
    } catch (error) {
      entry.reject(error);
      return false;
    }
  }

  private async sendBatch(entries: readonly PendingClaim[]): Promise<void> {
    if (this.usePutItem) {
      for (const entry of entries) void this.sendOne(entry);
      return;
    }
    let responses: BatchStatementResponse[];
    let retriedBySdk: boolean;
    try {
      const out = await this.clients.dynamoDb.send(
        new BatchExecuteStatementCommand({ Statements: entries.map((e) => claimStatement(e.request, e.attempt)) }),
      );
      responses = out.Responses ?? [];
      retriedBySdk = sdkAttempts(out) > 1;
    } catch (error) {
      await this.batchFailed(entries, error);
      return;
    }
    if (everyStatementDenied(entries, responses)) {
      await this.retryAsPutItem(entries, responses[0]!.Error!.Message ?? STATEMENT_ACCESS_DENIED);
      return;
    }
    settleBatch(entries, responses, retriedBySdk, (entry) => void this.sendOne(entry));
  }

  /**
   * The whole call failed. If PartiQL is refused, retry as PutItem (and maybe switch to it).
   * Otherwise retry each claim alone too, with the same attempt: the SDK may have retried the call
   * after an attempt DynamoDB applied, and a PutItem's ALL_OLD then shows the claim is ours; failed
   * outright, the redelivered message would make a new attempt, find this one's item, and drop the
   * call as a duplicate without ever running it.
   */
  private async batchFailed(entries: readonly PendingClaim[], error: unknown): Promise<void> {
    if (!FALLBACK_ERRORS.has((error as Error).name)) {
      await Promise.all(entries.map((entry) => this.sendOne(entry)));
      return;
    }
    await this.retryAsPutItem(entries, error as Error);
  }

  /**
   * Retries a refused batch's claims as PutItem, and switches the process to PutItem claims only if
   * every one of them got through: then PartiQL is refused to the principal. A refused key (one
   * the grant's key condition denies, e.g. another kind's key from a hand-built claim) is refused PutItem too, so it keeps
   * the others batching instead of switching the whole process off.
   */
  private async retryAsPutItem(entries: readonly PendingClaim[], cause: Error | string): Promise<void> {
    const answered = await Promise.all(entries.map((entry) => this.sendOne(entry)));
    if (entries.length > 1 && answered.every(Boolean)) this.switchToPutItem(entries[0]!, cause);
  }

  private switchToPutItem(first: PendingClaim, cause: Error | string): void {
    if (this.usePutItem) return;
    this.usePutItem = true;
    first.logger?.warn(FALLBACK_WARNING, {
      table: first.request.table,
      ...(typeof cause === 'string' ? { statementError: cause } : { error: cause }),
    });
  }
}

/**
 * Whether IAM refused every INSERT of a batch: what a principal without PartiQLInsert gets (per
 * statement, where a whole-call AccessDeniedException might be expected).
 */
function everyStatementDenied(entries: readonly PendingClaim[], responses: readonly BatchStatementResponse[]): boolean {
  return responses.length === entries.length && responses.every((r) => r.Error?.Code === STATEMENT_ACCESS_DENIED);
}

/**
 * Each claim gets its statement's outcome; a response missing for a statement fails that claim,
 * and one throttled, failed transiently or denied is retried alone.
 */
function settleBatch(
  entries: readonly PendingClaim[],
  responses: readonly BatchStatementResponse[],
  retriedBySdk: boolean,
  retryAlone: (entry: PendingClaim) => void,
): void {
  entries.forEach((entry, index) => {
    const response = responses[index];
    const code = response?.Error?.Code;
    // After an SDK retry of the whole call, a duplicate may be this claim's own INSERT from the
    // attempt whose answer was lost: DuplicateItem carries no item to tell, PutItem's ALL_OLD does.
    const maybeOwnDuplicate = retriedBySdk && (code === 'DuplicateItem' || code === 'ConditionalCheckFailed');
    if ((code !== undefined && RETRY_ALONE_CODES.has(code)) || maybeOwnDuplicate) {
      retryAlone(entry);
      return;
    }
    if (!response) {
      const { table, callId } = entry.request;
      entry.reject(new ClaimWriteError(table, callId, undefined, 'BatchExecuteStatement returned no response for this claim'));
      return;
    }
    const outcome = claimOutcome(entry.request.table, entry.request.callId, response.Error);
    if (outcome instanceof ClaimWriteError) entry.reject(outcome);
    else entry.resolve(outcome);
  });
}

function claimKey(request: ClaimRequest): string {
  return `${request.table}\u0000${request.callId}`;
}
