import { backoffMs } from './backoff';
import { CallQueue } from './call-queue';

/**
 * When a partly filled batch goes out (a full one always goes at once):
 * - `'turn'`: at the end of the event-loop turn that started it (setImmediate: gathers what one
 *   turn adds without making a lone entry wait);
 * - a function: after that many ms, counted from the entry that started the wait.
 */
export type Linger<E> = 'turn' | ((first: E) => number);

export interface MicroBatcherOptions<E> {
  /** Entries a call takes at most (PutEvents and SQS batches 10, BatchExecuteStatement 25, BatchGetItem 100). */
  readonly maxEntries: number;
  /** Bytes a call takes at most, by {@link sizeOf}; an entry that would pass it starts the next batch. @default Infinity */
  readonly maxBytes?: number;
  /** An entry's size as its service counts it. @default 0 */
  readonly sizeOf?: (entry: E) => number;
  /** @default 'turn' */
  readonly linger?: Linger<E>;
  /**
   * Entries with the same value must not share a call (two claims of one item): a second one
   * sends what is gathered first and starts the next batch.
   */
  readonly distinctBy?: (entry: E) => string;
  /** Sends one batch (the adapter: the call, reading its per-entry results, retrying what failed). */
  readonly send: (batch: E[], key: string) => Promise<void>;
  /** Shared by batchers whose calls count against one in-flight cap; none: no cap. */
  readonly calls?: CallQueue;
  /** First delay of {@link MicroBatcher.retryLater}; doubles each attempt, with jitter. @default 50 */
  readonly retryBaseMs?: number;
  /**
   * Whether an entry back from its retry backoff still goes out (not aborted, not timed out
   * meanwhile: its caller has been told, and sending it could only make a duplicate). @default always
   */
  readonly stillWanted?: (entry: E) => boolean;
}

/** The entries being gathered for one key's next call, with their size together. */
interface Gathering<E> {
  readonly entries: E[];
  bytes: number;
  readonly seen: Set<string> | undefined;
}

/**
 * The one micro-batching primitive of the transports: gathers entries per key (a queue, a table;
 * `''` when there is one) into calls limited by count and bytes, sends a full batch at once and a
 * partial one after its {@link Linger}, keeps calls under an optional shared in-flight cap, and
 * puts entries that failed back into a later batch after a backoff ({@link retryLater}) until
 * {@link close}. What a call is, how its per-entry results read and which failures are worth a
 * retry is the adapter's: its `send`. Deadlines ({@link DeadlineSweep}) and aborts are the
 * adapters' too, by leaving settled entries out when a batch goes (`send` filters) and when a
 * retry falls due (`stillWanted`).
 */
export class MicroBatcher<E> {
  private readonly gathering = new Map<string, Gathering<E>>();
  private readonly maxBytes: number;
  private readonly linger: Linger<E>;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Entries waiting out a retry backoff, by their timer: close() ends them. */
  private readonly retrying = new Map<NodeJS.Timeout, readonly E[]>();

  public constructor(private readonly options: MicroBatcherOptions<E>) {
    this.maxBytes = options.maxBytes ?? Infinity;
    this.linger = options.linger ?? 'turn';
  }

  /** Adds an entry to its key's batch; a full batch goes out at once. */
  public add(entry: E, key = ''): void {
    const size = this.options.sizeOf?.(entry) ?? 0;
    const distinct = this.options.distinctBy?.(entry);
    let batch = this.gathering.get(key);
    if (batch !== undefined && (batch.bytes + size > this.maxBytes || (distinct !== undefined && batch.seen?.has(distinct)))) {
      this.dispatch(key, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { entries: [], bytes: 0, seen: this.options.distinctBy ? new Set() : undefined };
      this.gathering.set(key, batch);
    }
    batch.entries.push(entry);
    batch.bytes += size;
    if (distinct !== undefined) batch.seen?.add(distinct);
    if (batch.entries.length >= this.options.maxEntries) this.dispatch(key, batch);
    else this.arm(entry);
  }

  /** Sends every batch being gathered now; resolves when those calls are done. */
  public flush(): Promise<void> {
    if (this.gathering.size === 0) {
      this.disarm();
      return Promise.resolve();
    }
    const sends: Promise<void>[] = [];
    for (const [key, batch] of [...this.gathering]) sends.push(this.dispatch(key, batch, true));
    return sends.length === 1 ? (sends[0] as Promise<void>) : Promise.all(sends).then(() => undefined);
  }

  /**
   * Puts entries a call failed back into a later batch of `key`, after an exponential backoff
   * with jitter from the highest attempt among them (the SDK's retries cover a failed call, not a
   * failed entry). Not unref'd: each of them has someone waiting for it.
   */
  public retryLater(entries: readonly E[], attempt: number, key = ''): void {
    if (entries.length === 0) return;
    const timer = setTimeout(() => {
      this.retrying.delete(timer);
      for (const entry of entries) if (this.options.stillWanted?.(entry) ?? true) this.add(entry, key);
    }, backoffMs(this.options.retryBaseMs ?? 50, attempt));
    this.retrying.set(timer, entries);
  }

  /** Stops every retry waiting out its backoff and returns its entries (the caller settles them). */
  public close(): E[] {
    const dropped: E[] = [];
    for (const [timer, entries] of this.retrying) {
      clearTimeout(timer);
      dropped.push(...entries);
    }
    this.retrying.clear();
    return dropped;
  }

  /** Sends the key's batch; with `settled`, returns a promise of the call (the hot path skips making one). */
  private dispatch(key: string, batch: Gathering<E>): void;
  private dispatch(key: string, batch: Gathering<E>, settled: true): Promise<void>;
  private dispatch(key: string, batch: Gathering<E>, settled = false): Promise<void> | void {
    this.gathering.delete(key);
    // A linger is the batch's own: the next entry starts a fresh one. The end of the turn is
    // everyone's: left armed, it costs nothing when nothing is left to send.
    if (this.gathering.size === 0 && this.timer !== undefined) this.disarm();
    const calls = this.options.calls;
    if (calls === undefined) {
      const sent = this.options.send(batch.entries, key);
      return settled ? sent : void sent;
    }
    // Inline closures, not named ones: fire() is hot, and a named arrow costs a name per batch under tsx.
    if (settled) return calls.run(() => this.options.send(batch.entries, key));
    calls.submit(() => this.options.send(batch.entries, key));
  }

  /** One wait for every key: when it ends, everything gathered goes. */
  private arm(first: E): void {
    if (this.linger === 'turn') {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        void this.flush();
      });
    } else if (this.timer === undefined) {
      // Not unref'd: a script that adds and ends without flushing still gets its entries sent.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.linger(first));
    }
  }

  private disarm(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
  }
}
