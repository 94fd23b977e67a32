/**
 * SQS long polling as AWS does it, for the latency proxy's AWS-like mode. The emulator re-checks a
 * waiting long poll about every 100 ms (shared/reference/emulator.md, "Long-poll granularity"), so a
 * message sent mid-poll waits up to 100 ms for its receiver; real SQS returns it at once. The proxy
 * therefore keeps a client's long poll itself: it asks the emulator with short polls
 * (`WaitTimeSeconds: 0`), at once, whenever a send to the same queue passes through the proxy, and
 * every {@link RECHECK_MS} for messages that reach the queue without passing through it (an
 * EventBridge rule's or an SNS subscription's deliveries, a visibility timeout running out): those
 * keep the emulator's granularity. The client sees one request, answered when messages are there or
 * its wait is over.
 */

/** How often a parked long poll re-checks its queue without a wake-up: the emulator's own tick. */
export const RECHECK_MS = 100;

/** The queue a request names (its URL's path, `/<account>/<queue>`): the same whichever origin the URL carries. */
export function queueKeyOf(queueUrl: unknown): string | undefined {
  if (typeof queueUrl !== 'string') return undefined;
  try {
    return new URL(queueUrl).pathname;
  } catch {
    return undefined;
  }
}

/** A ReceiveMessage body (JSON protocol) asking the same without waiting. */
export function shortPollBody(json: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ ...json, WaitTimeSeconds: 0 }), 'utf8');
}

/** Whether a ReceiveMessage response (JSON protocol) carries messages. */
export function hasMessages(responseBody: Buffer): boolean {
  try {
    const out = JSON.parse(responseBody.toString('utf8')) as { Messages?: unknown[] };
    return Array.isArray(out.Messages) && out.Messages.length > 0;
  } catch {
    // Not JSON (an error page): the client gets it as it is.
    return true;
  }
}

/** Long polls parked per queue, woken when a send to their queue went through. */
export class QueueWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves after `ms`, or sooner when {@link wake} is called for `queue`. */
  public wait(queue: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const set = this.waiting.get(queue) ?? new Set<() => void>();
      this.waiting.set(queue, set);
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiting.get(queue) === set) this.waiting.delete(queue);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
    });
  }

  /**
   * Wakes up to `count` long polls parked on `queue`, the longest waiting first: one per message
   * sent, as SQS hands a message to one receiver (waking every poll on every send would have the
   * emulator answer a herd of short polls for each message).
   */
  public wake(queue: string, count: number): void {
    const set = this.waiting.get(queue);
    if (set === undefined) return;
    for (const done of [...set].slice(0, Math.max(1, count))) done();
  }
}
