/**
 * Keeps at most `maxInFlight` calls under way; further calls wait their turn, in order. A burst
 * of thousands of entries then becomes a steady pipeline instead of hundreds of simultaneous
 * requests that compete for sockets and CPU.
 */
export class CallQueue {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly maxInFlight: number;

  public constructor(maxInFlight: number) {
    this.maxInFlight = Math.max(1, maxInFlight);
  }

  /** Runs `call` now if there is room, else once there is; settles as it does. */
  public run(call: () => Promise<void>): Promise<void> {
    if (this.inFlight < this.maxInFlight) return this.start(call);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push(() => void this.start(call).then(resolve, reject));
    });
  }

  private start(call: () => Promise<void>): Promise<void> {
    this.inFlight += 1;
    return call().finally(() => {
      this.inFlight -= 1;
      this.waiting.shift()?.();
    });
  }
}
