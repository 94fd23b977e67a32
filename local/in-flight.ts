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
 * finish, then marks those still unfinished as returned and stops their heartbeats (so they are
 * never extended or deleted late), and resolves with them. The consumer gives them back
 * (visibility 0) once none of its own long polls is under way: see QueueConsumer.stop().
 */
export async function drainInFlight(pending: readonly InFlight[], timeoutMs: number): Promise<{ finished: number; unfinished: InFlight[] }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  await Promise.race([Promise.all(pending.map((p) => p.done)), timedOut]);
  clearTimeout(timer);
  const unfinished = pending.filter((p) => !p.finished);
  for (const entry of unfinished) entry.returned = true;
  // Each heartbeat's extension under way ends first: landing after the give-back, it would hide the message again.
  await Promise.all(unfinished.map((entry) => entry.heartbeat?.stop()));
  return { finished: pending.length - unfinished.length, unfinished };
}
