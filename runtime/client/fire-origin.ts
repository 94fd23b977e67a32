import { AsyncLocalStorage } from 'node:async_hooks';
import type { UndeliveredEvent } from '../errors';
import type { OriginWatch } from '../transport';

/**
 * The fire origin: what is running when an event is fired with buffered delivery (the Lambda SQS
 * handler: the record's message id; the local worker: the listener message's), so that a failed
 * delivery can be traced to, and charged to, the work that fired it (`UndeliveredEvent.origin`).
 *
 * Only entered by {@link runWithFireOrigin}: a process that never calls it pays nothing for it.
 */
const activeFireOrigin = new AsyncLocalStorage<string>();

/** Runs `fn` with `fireOrigin` recorded on every event it fires with buffered delivery. */
export function runWithFireOrigin<T>(fireOrigin: string, fn: () => T): T {
  return activeFireOrigin.run(fireOrigin, fn);
}

/** The fire origin of the work running now, if any. */
export function currentFireOrigin(): string | undefined {
  return activeFireOrigin.getStore();
}

/** The result of {@link followFires}. */
export interface FollowedFires<T> {
  /** What `fn` returned. */
  readonly value: T;
  /**
   * Resolves once the delivery of every event `fn` fired with buffered delivery is concluded
   * (accepted by EventBridge, or failed for good), with those that failed. Call it once, when
   * the work is done: it ends the watch ({@link OriginWatch.settled}).
   */
  readonly concluded: () => Promise<UndeliveredEvent[]>;
}

/**
 * Runs `fn` under `fireOrigin` ({@link runWithFireOrigin}) and follows the deliveries of the events
 * it fires with buffered delivery, from a watch the publisher opens before `fn` starts. If `fn`
 * throws, the watch is ended here (its outcome is of no use: the work failed anyway).
 */
export async function followFires<T>(
  publisher: { watch(fireOrigin: string): OriginWatch },
  fireOrigin: string,
  fn: () => Promise<T>,
): Promise<FollowedFires<T>> {
  const watch = publisher.watch(fireOrigin);
  let value: T;
  try {
    value = await activeFireOrigin.run(fireOrigin, fn);
  } catch (error) {
    void watch.settled();
    throw error;
  }
  return { value, concluded: () => watch.settled() };
}
