import type { InboundMessage } from '../runtime/dispatch';
import type { VisibilityHeartbeat } from './visibility-heartbeat';

/** A message a queue consumer is working on, from its receipt until it is deleted or left. */
export interface InFlight {
  readonly message: InboundMessage;
  readonly done: Promise<void>;
  finished: boolean;
  /** The handler has returned; only its events' settlement and the delete are outstanding, so the slot is free again. */
  handled: boolean;
  /**
   * stop() gave the message back to the queue (drain timeout passed): another consumer may hold
   * it now, so this one must neither extend its visibility nor delete it when the handler ends.
   */
  returned: boolean;
  heartbeat: VisibilityHeartbeat | undefined;
}

/**
 * The bounded drain of a stopping consumer: waits up to `timeoutMs` for the messages in flight to
 * finish, then marks those still unfinished as returned (their heartbeat stopped, so they are never
 * extended or deleted late) and gives each back with `giveBack` (visibility 0: another consumer
 * takes it without waiting out the visibility timeout). `giveBack` must not throw.
 */
export async function drainInFlight(
  pending: readonly InFlight[],
  timeoutMs: number,
  giveBack: (entry: InFlight) => Promise<void>,
): Promise<{ finished: number; returned: number }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  await Promise.race([Promise.all(pending.map((p) => p.done)), timedOut]);
  clearTimeout(timer);
  const unfinished = pending.filter((p) => !p.finished);
  for (const entry of unfinished) entry.returned = true;
  // Each heartbeat's extension under way ends first: landing after the return, it would hide the message again.
  await Promise.all(
    unfinished.map(async (entry) => {
      await entry.heartbeat?.stop();
      await giveBack(entry);
    }),
  );
  return { finished: pending.length - unfinished.length, returned: unfinished.length };
}
