import { BatchExecuteStatementCommand, type BatchStatementResponse } from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../errors';
import type { Logger } from '../logging';
import type { AwsClients } from './aws-clients';
import { claimOutcome, claimStatement, putClaim, type ClaimRequest } from './claim-write';

/** BatchExecuteStatement takes at most 25 statements. */
export const MAX_CLAIMS_PER_BATCH = 25;

/**
 * Whole-call errors that mean "this principal or endpoint cannot run PartiQL": a deployment whose
 * hand-written IAM grants PutItem but not `dynamodb:PartiQLInsert`, or a DynamoDB-compatible
 * store without PartiQL. The claims then go out as PutItem, as before batching existed.
 */
const FALLBACK_ERRORS = new Set(['AccessDeniedException', 'UnknownOperationException']);

interface PendingClaim {
  readonly request: ClaimRequest;
  readonly claimedAtMs: number;
  readonly logger: Pick<Logger, 'warn'> | undefined;
  readonly resolve: (claimed: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** The claims being gathered for one call, and their keys (a key may appear once per call). */
interface ClaimBatch {
  readonly entries: PendingClaim[];
  readonly keys: Set<string>;
}

/**
 * Merges the claims made in one event-loop turn into BatchExecuteStatement calls of up to 25
 * PartiQL INSERTs. A worker dispatches a received batch in one turn, so its claims cost one call
 * instead of one PutItem each. Each INSERT succeeds or fails on its own, like the PutItem it
 * replaces. No linger: what one turn claims goes out at its end, a full batch at once, and a lone
 * claim goes out as a plain PutItem (one call either way).
 */
export class ClaimBatcher {
  private current: ClaimBatch = emptyBatch();
  private flushImmediate: NodeJS.Immediate | undefined;
  /** Set once PartiQL was refused: every claim from then on is a PutItem. */
  private usePutItem = false;

  public constructor(private readonly clients: AwsClients) {}

  /** Claims a call. Resolves false when another delivery already claimed it. */
  public claim(request: ClaimRequest, logger?: Pick<Logger, 'warn'>): Promise<boolean> {
    const claimedAtMs = Date.now();
    if (this.usePutItem) return putClaim(this.clients, request, claimedAtMs);
    return new Promise<boolean>((resolve, reject) => this.enqueue({ request, claimedAtMs, logger, resolve, reject }));
  }

  private enqueue(entry: PendingClaim): void {
    const key = claimKey(entry.request);
    if (this.current.keys.has(key)) {
      // Two deliveries of one call in one turn: they must not share a call (DynamoDB does not
      // promise how two writes of one key in one batch resolve). Send what is gathered; the second
      // goes in a later call and finds the first's claim.
      this.sendCurrent();
    }
    this.current.entries.push(entry);
    this.current.keys.add(key);
    if (this.current.entries.length >= MAX_CLAIMS_PER_BATCH) {
      this.sendCurrent();
      return;
    }
    // setImmediate, not a timer: gathers what this turn claims without making a lone claim wait.
    this.flushImmediate ??= setImmediate(() => {
      this.flushImmediate = undefined;
      this.sendCurrent();
    });
  }

  private sendCurrent(): void {
    const { entries } = this.current;
    this.current = emptyBatch();
    if (entries.length === 1) void this.sendOne(entries[0]!);
    else if (entries.length > 1) void this.sendBatch(entries);
  }

  private async sendOne(entry: PendingClaim): Promise<void> {
    try {
      entry.resolve(await putClaim(this.clients, entry.request, entry.claimedAtMs));
    } catch (error) {
      entry.reject(error);
    }
  }

  private async sendBatch(entries: readonly PendingClaim[]): Promise<void> {
    if (this.usePutItem) {
      for (const entry of entries) void this.sendOne(entry);
      return;
    }
    let responses: BatchStatementResponse[];
    try {
      const out = await this.clients.dynamoDb.send(
        new BatchExecuteStatementCommand({ Statements: entries.map((e) => claimStatement(e.request, e.claimedAtMs)) }),
      );
      responses = out.Responses ?? [];
    } catch (error) {
      this.batchFailed(entries, error);
      return;
    }
    settleBatch(entries, responses, (entry) => void this.sendOne(entry));
  }

  /** The whole call failed: fall back to PutItem if PartiQL is refused, else fail every claim in it. */
  private batchFailed(entries: readonly PendingClaim[], error: unknown): void {
    const name = (error as Error).name;
    if (!FALLBACK_ERRORS.has(name)) {
      for (const entry of entries) entry.reject(error);
      return;
    }
    if (!this.usePutItem) {
      this.usePutItem = true;
      entries[0]?.logger?.warn('Claims go out as one PutItem each: BatchExecuteStatement (PartiQL INSERT) was refused. Grant dynamodb:PartiQLInsert on the results table (see docs/deployment.md) to batch them.', {
        table: entries[0].request.table,
        error: error as Error,
      });
    }
    for (const entry of entries) void this.sendOne(entry);
  }
}

/**
 * Statement errors worth an immediate retry: capacity and transient ones. PutItem alone retries
 * them with the SDK's backoff, as a claim did before claims were batched.
 */
const RETRY_ALONE_CODES = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict']);

/**
 * Each claim gets its statement's outcome; a response missing for a statement fails that claim,
 * and one throttled or failed transiently is retried alone.
 */
function settleBatch(entries: readonly PendingClaim[], responses: readonly BatchStatementResponse[], retryAlone: (entry: PendingClaim) => void): void {
  entries.forEach((entry, index) => {
    const response = responses[index];
    if (response?.Error?.Code !== undefined && RETRY_ALONE_CODES.has(response.Error.Code)) {
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

function emptyBatch(): ClaimBatch {
  return { entries: [], keys: new Set() };
}

function claimKey(request: ClaimRequest): string {
  return `${request.table}\u0000${request.callId}`;
}
