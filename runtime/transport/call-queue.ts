/**
 * Keeps at most `maxInFlight` calls under way; further calls wait their turn, in order. A burst
 * of thousands of entries then becomes a steady pipeline instead of hundreds of simultaneous
 * requests that compete for sockets and CPU.
 */
export class CallQueue {
  private inFlight = 0;
  private readonly waiting: Array<() => Promise<void>> = [];
  private readonly maxInFlight: number;
  private readonly next = (): void => {
    this.inFlight -= 1;
    const call = this.waiting.shift();
    if (call !== undefined) this.start(call);
  };

  public constructor(maxInFlight: number) {
    this.maxInFlight = Math.max(1, maxInFlight);
  }

  /** Runs `call` now if there is room, else once there is (nobody waits for it: `call` settles its own entries). */
  public submit(call: () => Promise<void>): void {
    if (this.inFlight < this.maxInFlight) this.start(call);
    else this.waiting.push(call);
  }

  /** {@link submit}, resolving once `call` has run. */
  public run(call: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.submit(() => call().then(resolve, reject)));
  }

  private start(call: () => Promise<void>): void {
    this.inFlight += 1;
    void call().finally(this.next);
  }
}
