/**
 * Long-poll staggering. Emulators answer a waiting long poll on an interval counted from the
 * poll's start (MiniStack re-checks the queue every 100 ms), not when a message arrives as SQS
 * does. Polls started together re-check together, so several waiting pollers answer no sooner
 * than one. Spread evenly over the interval, k waiting polls answer a new message within
 * interval / k instead of interval.
 */

/**
 * How long to wait before starting a long poll so that it re-checks the queue in the middle of the
 * widest gap between the re-checks of the polls already waiting (given by their start times).
 * Returns 0 when no other poll is waiting: then nothing else covers the queue.
 */
export function staggerDelayMs(nowMs: number, waitingPollStarts: readonly number[], recheckIntervalMs: number): number {
  if (recheckIntervalMs <= 0 || waitingPollStarts.length === 0) return 0;
  const phase = (t: number) => ((t % recheckIntervalMs) + recheckIntervalMs) % recheckIntervalMs;
  const phases = waitingPollStarts.map(phase).sort((a, b) => a - b);
  let gapStart = phases[phases.length - 1] as number;
  let widest = (phases[0] as number) + recheckIntervalMs - gapStart;
  for (let i = 1; i < phases.length; i += 1) {
    const gap = (phases[i] as number) - (phases[i - 1] as number);
    if (gap > widest) {
      widest = gap;
      gapStart = phases[i - 1] as number;
    }
  }
  const target = phase(gapStart + widest / 2);
  return phase(target - phase(nowMs));
}

/** MiniStack re-checks a waiting long poll every 100 ms from the poll's start. */
export const EMULATOR_LONG_POLL_RECHECK_MS = 100;

/**
 * Staggering is for emulators (a custom endpoint: the settings' aws.endpoint, or the SDK's
 * AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL). On SQS a long poll returns as soon as a message
 * arrives, so there is nothing to spread, and a short batch does not mean the queue is drained.
 */
export function defaultLongPollRecheckMs(configuredEndpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const endpoint = configuredEndpoint ?? env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  return endpoint ? EMULATOR_LONG_POLL_RECHECK_MS : 0;
}

/** A long poll under way (or planned), by its start time. */
export interface StaggeredPoll {
  readonly startedAt: number;
}

/**
 * The long polls of one queue's pollers, for staggering: a poller holds its next poll back to its
 * place in the re-check interval while another poll waits on the queue, and is woken at once when
 * none does any more, so the queue is always covered.
 */
export class PollStagger {
  /** Start times of the ReceiveMessage calls under way (and planned). */
  private readonly polls = new Set<StaggeredPoll>();
  /** Pollers holding back a poll: woken when no poll covers the queue any more. */
  private waiters: (() => void)[] = [];

  public constructor(private readonly recheckIntervalMs: number) {}

  /** A ReceiveMessage call starts now. */
  public started(): StaggeredPoll {
    const poll = { startedAt: Date.now() };
    this.polls.add(poll);
    return poll;
  }

  /** A ReceiveMessage call ended; `receiving` calls are still under way. */
  public ended(poll: StaggeredPoll, receiving: number): void {
    this.polls.delete(poll);
    // Nothing covers the queue now: staggered pollers must not wait any longer.
    if (receiving === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * Holds the next poll back to its place in the re-check interval while another poll waits on the
   * queue (`receiving` > 0). The planned start counts as a poll's, so pollers holding back together
   * spread too. `pause` sleeps, and is cut short when the consumer stops.
   */
  public async holdBack(receiving: number, pause: (ms: number) => Promise<void>): Promise<void> {
    if (receiving === 0) return;
    const now = Date.now();
    const delay = staggerDelayMs(now, [...this.polls].map((p) => p.startedAt), this.recheckIntervalMs);
    if (delay < 1) return;
    const planned = { startedAt: now + delay };
    this.polls.add(planned);
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
      this.waiters.push(resolve);
    });
    await Promise.race([pause(delay), woken]);
    this.waiters = this.waiters.filter((w) => w !== wake);
    this.polls.delete(planned);
  }
}
