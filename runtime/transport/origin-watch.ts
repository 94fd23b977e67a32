import type { UndeliveredEvent } from '../errors';

/**
 * Follows the buffered entries fired under one origin, from {@link EventPublisher.watch} on: the
 * local worker deletes a listener's message only once the events its handler fired are accepted.
 */
export interface OriginWatch {
  /**
   * Ends the watch: resolves once every entry fired under the origin since `watch()` (and before
   * this call) has been accepted or has failed for good, with those that failed. It sends nothing
   * early: the entries go out with their batches, within the linger. Call it exactly once, when
   * the work that fires under the origin is done (a watch not ended keeps counting).
   *
   * Per-origin reporting wins over flush(): the failures returned here are returned whether or not
   * a flush() reported them already, and once returned, no flush() still waiting or yet to come
   * reports them (whoever holds the watch acts on them; the local worker redelivers the message).
   */
  settled(): Promise<UndeliveredEvent[]>;
}

/** A watch's state: entries outstanding, the failures among those settled, who waits. */
export class OriginWatchState implements OriginWatch {
  public outstanding = 0;
  public readonly failed: UndeliveredEvent[] = [];
  /** Set by settled(): resolves it once nothing is outstanding. */
  private done: ((failed: UndeliveredEvent[]) => void) | undefined;
  private ended = false;

  public constructor(
    public readonly origin: string,
    /** Detaches the watch (no new entries count) and, at the end, takes its failures from flush(). */
    private readonly publisher: { detach(watch: OriginWatchState): void; claim(failed: readonly UndeliveredEvent[]): void },
  ) {}

  public settled(): Promise<UndeliveredEvent[]> {
    if (this.ended) return Promise.reject(new Error(`settled() was already called for the watch of origin ${this.origin}`));
    this.ended = true;
    this.publisher.detach(this);
    return new Promise((resolve) => {
      this.done = resolve;
      this.finishIfSettled();
    });
  }

  /** One of its entries settled (with the failure, if it failed). */
  public entrySettled(failure: UndeliveredEvent | undefined): void {
    this.outstanding -= 1;
    if (failure !== undefined) this.failed.push(failure);
    this.finishIfSettled();
  }

  /**
   * Synchronous, from the settlement itself, which counts the watches off before the flushes: a
   * flush() finished by the same settlement takes its report after this claim.
   */
  private finishIfSettled(): void {
    if (this.done === undefined || this.outstanding > 0) return;
    const done = this.done;
    this.done = undefined;
    if (this.failed.length > 0) this.publisher.claim(this.failed);
    done([...this.failed]);
  }
}
