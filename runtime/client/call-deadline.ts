/** Why a {@link CallDeadline} ended an operation: its time ran out (the caller picks the error). */
export class DeadlinePassed extends Error {
  public override readonly name = 'DeadlinePassed';
  public constructor() {
    super('The deadline passed.');
  }
}

/**
 * One client operation's deadline, with the signals that may end it sooner (the caller's
 * `signal`, the client's closing), as one AbortSignal to hand to what it awaits and a
 * {@link race} for what takes no signal. The operation then settles by its deadline whatever the
 * endpoint does: a hung request is abandoned, not awaited.
 *
 * The abort reason is {@link DeadlinePassed} at the deadline, else the reason of the signal that
 * fired (`new Error('aborted')` if it gave none). {@link dispose} it once the operation settles.
 */
export class CallDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #unlisten: Array<() => void> = [];

  public constructor(
    public readonly at: number,
    signals: ReadonlyArray<AbortSignal | undefined>,
  ) {
    // Not unref'd: someone awaits the operation, and must hear that it timed out.
    this.#timer = setTimeout(() => this.#abort(new DeadlinePassed()), Math.max(0, at - Date.now()));
    for (const signal of signals) {
      if (signal === undefined) continue;
      if (signal.aborted) {
        this.#abort(reasonOf(signal));
        break;
      }
      const onAbort = () => this.#abort(reasonOf(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unlisten.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  public get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the operation was ended by its deadline (rather than by a signal, or not at all). */
  public get passed(): boolean {
    return this.#controller.signal.reason instanceof DeadlinePassed;
  }

  /** `promise`, or a rejection with the abort reason if the deadline or a signal comes first. */
  public race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) {
      promise.catch(() => undefined);
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Stops the timer and the listening; the signal stays as it is. */
  public dispose(): void {
    clearTimeout(this.#timer);
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
  }

  #abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    this.dispose();
  }
}

function reasonOf(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
