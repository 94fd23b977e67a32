import { BatchExecuteStatementCommand, type BatchStatementResponse } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../logging';
import { callResultKey } from '../topology/table-keys';
import type { AwsClients } from './aws-clients';
import { MicroBatcher } from './micro-batcher';
import { resultStatement, resultWriteBytes, updateResult, type ResultWrite } from './result-write';

/** BatchExecuteStatement takes at most 25 statements. */
export const MAX_RESULTS_PER_BATCH = 25;

/**
 * The results one BatchExecuteStatement carries at most, by {@link resultWriteBytes}. DynamoDB
 * documents no request size for BatchExecuteStatement beyond its 25 statements and each item's
 * 400 KB (BatchWriteItem's is 16 MB): 1 MiB keeps a request of large results (UTF-8 and JSON
 * escaping may make them a few times larger on the wire) far below any such bound, and still lets
 * 25 results of 40 KB share a call. A larger result starts a batch of its own, and a batch of one
 * is a plain UpdateItem.
 */
export const MAX_RESULT_BATCH_BYTES = 1024 * 1024;

/** Whole-call errors that mean "this principal or endpoint cannot run PartiQL" (as for the claims). */
const FALLBACK_ERRORS = new Set(['AccessDeniedException', 'UnknownOperationException']);

/** The statement error IAM gives one UPDATE it refuses (no PartiQLUpdate, or a key condition). */
const STATEMENT_ACCESS_DENIED = 'AccessDenied';

/** The statement error of an UPDATE whose WHERE did not hold: the item is no claim (answered already, or absent). */
const CONDITION_FAILED = 'ConditionalCheckFailed';

const FALLBACK_WARNING =
  'Results go out as one UpdateItem each: BatchExecuteStatement (PartiQL UPDATE) was refused. Grant dynamodb:PartiQLUpdate on the results table (see docs/deployment.md) to batch them.';

interface PendingResult {
  readonly write: ResultWrite;
  readonly bytes: number;
  readonly logger: Pick<Logger, 'warn'> | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Merges the claimed results written in one event-loop turn into BatchExecuteStatement calls of
 * up to 25 PartiQL UPDATEs, each with its UpdateItem's condition (`state = 'claimed'`). A worker
 * claims a received batch in one call and runs its calls together, so their results are ready
 * together and cost one call instead of one UpdateItem each. No linger beyond the turn (a
 * setImmediate, as the claims): a result written alone goes out at the end of its turn as a plain
 * UpdateItem (one call either way).
 *
 * An UPDATE's outcome reads as its UpdateItem's: `ConditionalCheckFailed` means the call was
 * answered already, so the first result stands and the write resolves. Any other statement error
 * (a throttle, an item too large, a refusal) retries that result alone as the UpdateItem, which
 * then fails, or succeeds, exactly as it did before results were batched; so does every result of
 * a call that failed as a whole, unless PartiQL itself was refused (then UpdateItem from then on,
 * with one warning).
 */
export class ResultBatcher {
  /** One batch for all tables (a statement names its table); two writes of one call never share one. */
  private readonly batcher = new MicroBatcher<PendingResult>({
    maxEntries: MAX_RESULTS_PER_BATCH,
    maxBytes: MAX_RESULT_BATCH_BYTES,
    sizeOf: (entry) => entry.bytes,
    distinctBy: (entry) => `${entry.write.table}\u0000${entry.write.callId}`,
    linger: 'turn',
    send: (entries) => this.sendGathered(entries),
  });
  /** Set once PartiQL was refused for the principal: every result from then on is an UpdateItem. */
  private useUpdateItem = false;

  public constructor(private readonly clients: AwsClients) {}

  /** Writes a claimed call's result; resolves also when the call was answered already (the first result stands). */
  public complete(write: ResultWrite, logger?: Pick<Logger, 'warn'>): Promise<void> {
    // An id that is not a call-result key is refused here, before it can share (and fail) a batch.
    try {
      callResultKey(write.callId);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.useUpdateItem) return updateResult(this.clients, write, true);
    return new Promise<void>((resolve, reject) => this.batcher.add({ write, bytes: resultWriteBytes(write), logger, resolve, reject }));
  }

  private async sendGathered(entries: readonly PendingResult[]): Promise<void> {
    if (entries.length === 1) await this.sendOne(entries[0]!);
    else if (entries.length > 1) await this.sendBatch(entries);
  }

  /** Writes one result with UpdateItem. Resolves whether DynamoDB answered it, false when it threw. */
  private async sendOne(entry: PendingResult): Promise<boolean> {
    try {
      await updateResult(this.clients, entry.write, true);
      entry.resolve();
      return true;
    } catch (error) {
      entry.reject(error);
      return false;
    }
  }

  private async sendBatch(entries: readonly PendingResult[]): Promise<void> {
    if (this.useUpdateItem) {
      await Promise.all(entries.map((entry) => this.sendOne(entry)));
      return;
    }
    let responses: BatchStatementResponse[];
    try {
      const out = await this.clients.dynamoDb.send(new BatchExecuteStatementCommand({ Statements: entries.map((e) => resultStatement(e.write)) }));
      responses = out.Responses ?? [];
    } catch (error) {
      // Retried alone, each result meets its own fate (one item too large must not fail the others).
      // An UPDATE the SDK retried after it was applied finds no claim and resolves, as UpdateItem's would.
      if (FALLBACK_ERRORS.has((error as Error).name)) await this.retryAsUpdateItem(entries, error as Error);
      else await Promise.all(entries.map((entry) => this.sendOne(entry)));
      return;
    }
    if (responses.length === entries.length && responses.every((r) => r.Error?.Code === STATEMENT_ACCESS_DENIED)) {
      await this.retryAsUpdateItem(entries, responses[0]!.Error!.Message ?? STATEMENT_ACCESS_DENIED);
      return;
    }
    entries.forEach((entry, index) => {
      const response = responses[index];
      if (response !== undefined && (response.Error === undefined || response.Error.Code === CONDITION_FAILED)) entry.resolve();
      else void this.sendOne(entry);
    });
  }

  /**
   * Retries a refused batch's results as UpdateItem, and switches the process to UpdateItem only if
   * every one of them got through: then PartiQL is refused to the principal, not one key.
   */
  private async retryAsUpdateItem(entries: readonly PendingResult[], cause: Error | string): Promise<void> {
    const answered = await Promise.all(entries.map((entry) => this.sendOne(entry)));
    if (!answered.every(Boolean) || this.useUpdateItem) return;
    this.useUpdateItem = true;
    const first = entries[0]!;
    first.logger?.warn(FALLBACK_WARNING, {
      table: first.write.table,
      ...(typeof cause === 'string' ? { statementError: cause } : { error: cause }),
    });
  }
}
