import type { Logger } from '../logging';
import { ExecutionTimeoutError } from './execution-timeout';
import { dedupeKey, type DedupeRecords } from '../transport/dedupe-store';

/** One event as an exactly-once listener sees it. */
export interface ExactlyOnceTarget {
  readonly table: string;
  readonly service: string;
  readonly listenerName: string;
  /** lightbus's event id (`detail.id`): the same across redeliveries and fire() retries that reuse it. */
  readonly eventId: string;
  readonly claimedBy: string;
  /** How long a running delivery's claim holds before another may take it over (its visibility or execution timeout). */
  readonly leaseMs: number;
  readonly ttlSeconds: number;
}

/** What an exactly-once listener did with one delivery. */
export type ExactlyOnceOutcome =
  /** The handler ran and succeeded; the event is recorded done. */
  | { readonly kind: 'ran' }
  /** The handler ran and failed; the claim was released so the retry can run it. */
  | { readonly kind: 'failed'; readonly error: Error }
  /** Already handled: the handler did not run. */
  | { readonly kind: 'skipped' }
  /** Another delivery is running it now: try again once its lease may have run out. */
  | { readonly kind: 'busy'; readonly retryInSeconds: number };

/**
 * The exactly-once step around a listener's handler: claim the event id, run the handler only
 * with the claim, then mark it done (or release it on failure). Store failures before the handler
 * ran are thrown, for the dispatcher to retry as infrastructure failures; after the handler ran
 * they are only logged, since retrying would run it again.
 */
export class ExactlyOnceGuard {
  public constructor(
    private readonly records: () => DedupeRecords,
    private readonly logger: Logger,
  ) {}

  public async run(target: ExactlyOnceTarget, handler: () => Promise<unknown>): Promise<ExactlyOnceOutcome> {
    const key = dedupeKey(target.service, target.listenerName, target.eventId);
    const fields = { listener: target.listenerName, eventId: target.eventId };
    const found = await this.records().claim({
      table: target.table,
      key,
      claimedBy: target.claimedBy,
      leaseMs: target.leaseMs,
      ttlSeconds: target.ttlSeconds,
    });
    if (found.kind === 'done') {
      this.logger.info('Skipped an event this exactly-once listener already handled', fields);
      return { kind: 'skipped' };
    }
    if (found.kind === 'busy') {
      const remainingMs = found.claimedAtMs + target.leaseMs - Date.now();
      return { kind: 'busy', retryInSeconds: Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(remainingMs / 1000))) };
    }
    if (found.tookOver) this.logger.warn('Took over the stale claim of a delivery that did not finish; running the handler again', fields);
    try {
      await handler();
    } catch (error) {
      // A timed-out handler may still be running (its promise is abandoned, not stopped): keep the
      // claim until its lease runs out, so the retry cannot run it a second time alongside.
      if (!(error instanceof ExecutionTimeoutError)) await this.releaseQuietly(found.claim, fields);
      return { kind: 'failed', error: error as Error };
    }
    try {
      const marked = await this.records().markDone(found.claim);
      if (!marked) this.logger.warn('The claim was taken over while the handler ran (it outlived its lease); the handler may have run twice', fields);
    } catch (error) {
      // The handler's work is done: a retry would only repeat it. Unmarked, the claim holds until its lease runs out.
      this.logger.error('Could not mark the event done; a repeat after the claim lease may run it again', { ...fields, error: error as Error });
    }
    return { kind: 'ran' };
  }

  private async releaseQuietly(claim: Parameters<DedupeRecords['release']>[0], fields: Record<string, string>): Promise<void> {
    try {
      await this.records().release(claim);
    } catch (error) {
      // The retry still runs: it takes the claim over once the lease runs out.
      this.logger.warn('Could not release the claim of a failed exactly-once listener; its retry waits for the lease', {
        ...fields,
        error: error as Error,
      });
    }
  }
}

/** SQS's longest visibility timeout (12 h): a retry delay cannot be longer. */
const MAX_RETRY_SECONDS = 43_200;
