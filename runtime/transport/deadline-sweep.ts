/** How often entries are checked against their deadlines: fire timeouts are this precise. */
const SWEEP_INTERVAL_MS = 25;

/**
 * The entries of a batcher not yet settled, and one timer for all their deadlines (not one per
 * entry: timers and abort signals per event cost more than the rest of fire() together). It
 * runs only while entries with deadlines wait, and is unref'd (the entries' own calls and
 * retries keep the process alive).
 */
export class DeadlineSweep<E extends { readonly deadline: number }> {
  private readonly unsettled = new Set<E>();
  private timer: NodeJS.Timeout | undefined;

  /** `expired` settles the entry (through {@link settle}) once its deadline has passed. */
  public constructor(private readonly expired: (entry: E) => void) {}

  public track(entry: E): void {
    this.unsettled.add(entry);
    if (entry.deadline !== Infinity) this.arm();
  }

  /** Whether the entry is still unsettled. */
  public has(entry: E): boolean {
    return this.unsettled.has(entry);
  }

  /** Marks the entry settled; false when it was settled already (a second settlement is a no-op). */
  public settle(entry: E): boolean {
    return this.unsettled.delete(entry);
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    let waiting = 0;
    for (const entry of this.unsettled) {
      if (entry.deadline === Infinity) continue;
      if (now < entry.deadline) waiting += 1;
      else this.expired(entry);
    }
    if (waiting === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
