/**
 * Per-operation figures of a recorded run (the latency proxy's records): how many calls, how much
 * each carried, how long each took as the client saw it, and how many were under way at once. Used
 * to tell where one consumer loses to another (bench/scenarios/events.ts): receives per second,
 * messages per receive, receives in flight, delete calls and their latency.
 */
import type { ProxyRecord } from '../../tools/latency-proxy';
import { round, summarise, type LatencySummary } from './stats';

export interface OperationStats {
  readonly calls: number;
  /** Messages (ReceiveMessage) or entries (batch calls) per call, where the proxy counted them. */
  readonly perCall?: number;
  /** ReceiveMessage calls that returned nothing. */
  readonly empty?: number;
  /** Round trip as the client saw it (request received → response sent by the proxy), ms. */
  readonly latencyMs: LatencySummary;
  /** Upstream time of the round trip (the emulator's answer; for a kept long poll, its wait and short polls), ms. */
  readonly upstreamMs: LatencySummary;
  /** Requests made upstream per call (a long poll kept by the proxy: its short polls). */
  readonly forwardedPerCall: number;
  /** From the run's start to this operation's first request, ms. */
  readonly firstAfterMs: number;
  /** From this operation's first request to its last response, ms. */
  readonly spanMs: number;
  /** Calls under way at once, averaged over this operation's span, and at most. */
  readonly meanInFlight: number;
  readonly maxInFlight: number;
  /** Calls per second over this operation's span. */
  readonly perSecond: number;
}

export interface RunCallStats {
  /** From the run's start to the last response sent, ms. */
  readonly windowMs: number;
  readonly byOperation: Record<string, OperationStats>;
}

/** The figures of each operation in `records`, a run that started at `startedAt` (epoch ms). */
export function callStats(records: readonly ProxyRecord[], startedAt: number): RunCallStats {
  if (records.length === 0) return { windowMs: 0, byOperation: {} };
  const start = startedAt;
  const end = Math.max(...records.map((r) => r.t3));
  const windowMs = Math.max(1, end - start);
  const groups = new Map<string, ProxyRecord[]>();
  for (const r of records) {
    const key = `${r.service}.${r.op}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const byOperation: Record<string, OperationStats> = {};
  for (const [key, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) byOperation[key] = operationStats(list, start);
  return { windowMs: round(windowMs, 0), byOperation };
}

function operationStats(list: readonly ProxyRecord[], startedAt: number): OperationStats {
  const first = Math.min(...list.map((r) => r.t0));
  const spanMs = Math.max(1, Math.max(...list.map((r) => r.t3)) - Math.min(...list.map((r) => r.t0)));
  const counted = list.filter((r) => r.count !== undefined);
  const busyMs = list.reduce((sum, r) => sum + (r.t3 - r.t0), 0);
  return {
    calls: list.length,
    ...(counted.length > 0 ? { perCall: round(counted.reduce((n, r) => n + (r.count ?? 0), 0) / counted.length) } : {}),
    ...(list[0]?.op === 'ReceiveMessage' ? { empty: list.filter((r) => r.count === 0).length } : {}),
    latencyMs: summarise(list.map((r) => r.t3 - r.t0)),
    upstreamMs: summarise(list.map((r) => r.t2 - r.t1)),
    forwardedPerCall: round(list.reduce((n, r) => n + (r.forwarded ?? 1), 0) / list.length),
    firstAfterMs: round(first - startedAt, 0),
    spanMs: round(spanMs, 0),
    meanInFlight: round(busyMs / spanMs),
    maxInFlight: maxOverlap(list),
    perSecond: round((list.length / spanMs) * 1000, 0),
  };
}

/** The most intervals [t0, t3] open at one instant. */
function maxOverlap(list: readonly ProxyRecord[]): number {
  const edges = list.flatMap((r) => [
    { at: r.t0, delta: 1 },
    { at: r.t3, delta: -1 },
  ]);
  // An interval that ends where another starts does not overlap it.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.delta;
    most = Math.max(most, open);
  }
  return most;
}
