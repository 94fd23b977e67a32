/**
 * A fixed-size buffer of the newest items, each numbered in arrival order. Memory is bounded by
 * the capacity whatever the arrival rate; what falls out is counted, so a reader can say "N older
 * items not shown" rather than pretend it has everything.
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;
  /** Sequence number of the next item pushed (the first is 1). */
  private sequence = 1;

  public constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`A ring buffer's capacity must be a positive integer; got ${capacity}.`);
    }
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Adds an item, overwriting the oldest when full; returns the item that fell out, if any. */
  public push(item: T): T | undefined {
    const evicted = this.total >= this.capacity ? this.slots[this.next] : undefined;
    this.slots[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.sequence += 1;
    return evicted;
  }

  /** Replaces a held item (found by identity) with another, in place; false if it is no longer held. */
  public replace(old: T, replacement: T): boolean {
    const index = this.slots.indexOf(old);
    if (index < 0) return false;
    this.slots[index] = replacement;
    return true;
  }

  /** How many items were ever pushed. */
  public get total(): number {
    return this.sequence - 1;
  }

  /** How many items it holds now. */
  public get size(): number {
    return Math.min(this.total, this.capacity);
  }

  /** How many items fell out because newer ones arrived. */
  public get evicted(): number {
    return this.total - this.size;
  }

  /** The items held, oldest first. */
  public items(): T[] {
    const out: T[] = [];
    const size = this.size;
    const start = size < this.capacity ? 0 : this.next;
    for (let i = 0; i < size; i += 1) out.push(this.slots[(start + i) % this.capacity] as T);
    return out;
  }
}
