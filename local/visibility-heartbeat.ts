import type { QueueOperations } from '../runtime/transport';

/** A running visibility heartbeat. */
export interface VisibilityHeartbeat {
  /**
   * Stops extending. Resolves once an extension already under way has ended, so a visibility
   * change made after it (the drain's return to the queue, visibility 0) is not overtaken by a
   * late extension that would hide the message again for a whole visibility timeout.
   */
  stop(): Promise<void>;
}

/**
 * Keeps a message hidden while this worker works on it: extends its visibility to the queue's
 * timeout every half timeout (at least every second), so no other consumer receives it. The timer
 * does not keep the process alive.
 */
export function startVisibilityHeartbeat(
  queues: Pick<QueueOperations, 'changeVisibility'>,
  queueName: string,
  receiptHandle: string,
  visibilityTimeoutSeconds: number,
  onFailure: (error: Error) => void,
): VisibilityHeartbeat {
  const every = Math.max(1, visibilityTimeoutSeconds / 2) * 1000;
  let underWay: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    underWay = queues.changeVisibility(queueName, receiptHandle, visibilityTimeoutSeconds).catch(onFailure);
  }, every);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return underWay;
    },
  };
}
