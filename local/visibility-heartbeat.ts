import type { QueueOperations } from '../runtime/transport';

/**
 * Keeps a message hidden while this worker works on it: extends its visibility to the queue's
 * timeout every half timeout (at least every second), so no other consumer receives it. Stop it
 * with `clearInterval`; the timer does not keep the process alive.
 */
export function startVisibilityHeartbeat(
  queues: Pick<QueueOperations, 'changeVisibility'>,
  queueName: string,
  receiptHandle: string,
  visibilityTimeoutSeconds: number,
  onFailure: (error: Error) => void,
): NodeJS.Timeout {
  const every = Math.max(1, visibilityTimeoutSeconds / 2) * 1000;
  const timer = setInterval(() => {
    queues.changeVisibility(queueName, receiptHandle, visibilityTimeoutSeconds).catch(onFailure);
  }, every);
  timer.unref();
  return timer;
}
