/** How many recent calls of one kind an estimate remembers. */
const SAMPLES_PER_KIND = 32;
/** Kinds remembered at most (procedures called by this process); the least recently learnt goes first. */
const MAX_KINDS = 1000;

/** A call's result found: when the call started, and the reads around the find (ages in ms from its start). */
export interface ResultFind {
  readonly startedAt: number;
  /** The age of the read that found the result. */
  readonly foundAge: number;
  /** The age of the last read that did not; undefined: the first read found it. */
  readonly missedAge: number | undefined;
  /** The read gap at `foundAge`: how far back a result found by a first read may have been there. */
  readonly step: number;
  /** Now: calls started from here on are read by what this find teaches. */
  readonly learntAt: number;
}

/** The recent samples of one kind of call, and the first-read age they give. */
interface Kind {
  readonly samples: number[];
  /** Where the next sample goes once the ring is full. */
  next: number;
  firstReadAge: number;
  /** The age past which a call of this kind is later than most (see {@link ReadyEstimates.lateAge}). */
  lateAge: number;
  /** Calls in a row whose first read found the result, each started after the previous one's step back. */
  firstReadFinds: number;
  /** When the last of those was learnt: calls started before it were read by an older estimate. */
  steppedBackAt: number;
}

/** The furthest a find steps back: 2^5 = 32 gaps. */
const MAX_STEP_DOUBLINGS = 5;

/**
 * When a call's result becomes visible to a read, learnt from recent calls of the same kind (one
 * procedure on one results table): the age, counted from the request's send, at which a read
 * first finds it. The poller reads a new call first at a low quantile of those ages instead of a
 * few ms after the send, so a call is not read over and over while its request is still queued or
 * running: on AWS that age is a queue hop, a claim, the procedure and a result write — tens of
 * ms, hundreds under load, seconds for a slow procedure.
 *
 * Each sample is what the poller knows ({@link learn}): the result was not there for the read sent
 * at the last miss and was there for the read that found it, so it became visible in between (the
 * midpoint is the sample). When the first read already finds it, it could have been visible
 * earlier: the sample is then one read gap before that read, two gaps after two such calls in a
 * row, four after three, ... (up to 32), so that the estimate walks down until first reads miss
 * now and then — in a few calls after a slow first call (a cold start), not in dozens.
 */
export class ReadyEstimates {
  private readonly kinds = new Map<string, Kind>();

  /**
   * @param quantile The share of recent calls whose result is expected to be there at the first read.
   * @param lateQuantile The share of recent calls whose result was there by {@link lateAge}.
   */
  public constructor(
    private readonly quantile: number,
    private readonly lateQuantile = 1,
  ) {}

  /** The age past which a call of `kind` is later than `lateQuantile` of recent ones; undefined while nothing is known of it. */
  public lateAge(kind: string): number | undefined {
    return this.kinds.get(kind)?.lateAge;
  }

  /** The age at which to read a new call of `kind` first; undefined while nothing is known of it. */
  public firstReadAge(kind: string): number | undefined {
    return this.kinds.get(kind)?.firstReadAge;
  }

  /**
   * What a find teaches (see the class comment); only a call started after the previous step back
   * steps back further: calls in flight together were all read by the same estimate, and many of
   * them found at once say no more than one.
   */
  public learn(kind: string, find: ResultFind): void {
    const known = this.kinds.get(kind);
    if (find.missedAge !== undefined) {
      if (known) known.firstReadFinds = 0;
      this.record(kind, (find.missedAge + find.foundAge) / 2);
      return;
    }
    const escalates = known === undefined || find.startedAt >= known.steppedBackAt;
    const finds = (known?.firstReadFinds ?? 0) + (escalates ? 1 : 0);
    this.record(kind, Math.max(0, find.foundAge - find.step * 2 ** Math.min(Math.max(finds - 1, 0), MAX_STEP_DOUBLINGS)));
    const updated = this.kinds.get(kind) as Kind;
    updated.firstReadFinds = finds;
    if (escalates) updated.steppedBackAt = find.learntAt;
  }

  /** Records the age at which a call of `kind` became visible. */
  public record(kind: string, readyAge: number): void {
    let known = this.kinds.get(kind);
    if (known === undefined) {
      if (this.kinds.size >= MAX_KINDS) this.kinds.delete(this.kinds.keys().next().value as string);
      known = { samples: [], next: 0, firstReadAge: readyAge, lateAge: readyAge, firstReadFinds: 0, steppedBackAt: -Infinity };
    } else {
      this.kinds.delete(kind); // re-inserted below: the map's order is the order kinds were last learnt
    }
    this.kinds.set(kind, known);
    if (known.samples.length < SAMPLES_PER_KIND) known.samples.push(readyAge);
    else {
      known.samples[known.next] = readyAge;
      known.next = (known.next + 1) % SAMPLES_PER_KIND;
    }
    const sorted = [...known.samples].sort((a, b) => a - b);
    known.firstReadAge = sorted[Math.min(sorted.length - 1, Math.floor(this.quantile * sorted.length))] as number;
    known.lateAge = sorted[Math.min(sorted.length - 1, Math.floor(this.lateQuantile * sorted.length))] as number;
  }

  /** Kinds remembered (for tests). */
  public get size(): number {
    return this.kinds.size;
  }
}
