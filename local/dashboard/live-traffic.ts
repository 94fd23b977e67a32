import { RingBuffer } from './ring-buffer';
import { matchesTraffic, type TrafficCall, type TrafficFilter, type TrafficItem } from './traffic';

/** What subscribers get, batched: new items and updates (a call's outcome replaces its claim, by id). */
export interface TrafficBatch {
  readonly items: readonly TrafficItem[];
  /** Items this subscriber did not get because it fell behind (its pending queue was full). */
  readonly dropped: number;
}

export interface TrafficStats {
  readonly capacity: number;
  readonly held: number;
  /** Items received since the start. */
  readonly received: number;
  /** Items that fell out of the buffer because newer ones arrived. */
  readonly evicted: number;
}

type Subscriber = { pending: TrafficItem[]; dropped: number; deliver: (batch: TrafficBatch) => void };

/**
 * The live view's memory: the newest `capacity` items in a ring buffer, and subscribers (the
 * page's event streams) that get new items in batches. A subscriber that falls behind keeps at
 * most `capacity` pending items and is told how many it missed; nothing grows without bound.
 */
export class LiveTraffic {
  private readonly buffer: RingBuffer<TrafficItem>;
  /** Calls held in the buffer, by id: their outcome replaces their claim. */
  private readonly calls = new Map<string, TrafficCall>();
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;

  public constructor(
    public readonly capacity: number,
    private readonly flushEveryMs = 100,
  ) {
    this.buffer = new RingBuffer(capacity);
  }

  public add(item: TrafficItem): void {
    const previous = item.kind === 'call' ? this.calls.get(item.id) : undefined;
    if (previous !== undefined && item.kind === 'call') {
      // A claim's outcome: one row per call. Stream records may come out of order: an outcome is never replaced by its claim.
      if (previous.state !== 'claimed' && item.state === 'claimed') return;
      const merged: TrafficCall = { ...previous, ...item, parameters: item.parameters ?? previous.parameters };
      if (this.buffer.replace(previous, merged)) {
        this.calls.set(item.id, merged);
        this.publish(merged);
        return;
      }
    }
    const evicted = this.buffer.push(item);
    if (evicted?.kind === 'call' && this.calls.get(evicted.id) === evicted) this.calls.delete(evicted.id);
    if (item.kind === 'call') this.calls.set(item.id, item);
    this.publish(item);
  }

  /** The newest items matching a filter, oldest first, at most `limit`. */
  public snapshot(filter: TrafficFilter = {}, limit = this.capacity): TrafficItem[] {
    const matching = this.buffer.items().filter((item) => matchesTraffic(item, filter));
    return matching.slice(Math.max(0, matching.length - limit));
  }

  public get stats(): TrafficStats {
    return { capacity: this.capacity, held: this.buffer.size, received: this.buffer.total, evicted: this.buffer.evicted };
  }

  /** Gets batches of new items until the returned function is called. */
  public subscribe(deliver: (batch: TrafficBatch) => void): () => void {
    const subscriber: Subscriber = { pending: [], dropped: 0, deliver };
    this.subscribers.add(subscriber);
    this.timer ??= setInterval(() => this.flush(), this.flushEveryMs);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  public close(): void {
    this.subscribers.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private publish(item: TrafficItem): void {
    for (const subscriber of this.subscribers) {
      subscriber.pending.push(item);
      if (subscriber.pending.length > this.capacity) {
        subscriber.pending.shift();
        subscriber.dropped += 1;
      }
    }
  }

  private flush(): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.pending.length === 0 && subscriber.dropped === 0) continue;
      const batch = { items: subscriber.pending, dropped: subscriber.dropped };
      subscriber.pending = [];
      subscriber.dropped = 0;
      subscriber.deliver(batch);
    }
  }
}
