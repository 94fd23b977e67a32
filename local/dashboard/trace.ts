import type { TrafficItem } from './traffic';

/** One step of a trace, placed on its timeline. */
export interface TraceStep {
  readonly item: TrafficItem;
  /** Milliseconds from the trace's first step. */
  readonly offsetMs: number;
  /** How long it took, where known (a call's latency). */
  readonly durationMs?: number;
  /** Steps sent from the same span (the same `traceparent` parent-id) share this. */
  readonly sentBySpan?: string;
  /**
   * The step this one was sent from, where that is visible: a call whose result item carries the
   * span this step's `traceparent` names (an event fired or a call made inside that procedure).
   */
  readonly parentId?: string;
}

export interface TraceView {
  readonly traceId: string;
  readonly startedAt: number;
  /** From the first step's start to the last step's end. */
  readonly durationMs: number;
  readonly steps: readonly TraceStep[];
}

/**
 * The chain a trace id names, from the traffic the dashboard has seen: ordered by time (events by
 * when they were fired, calls by when they were claimed). Each message carries only the span that
 * sent it (`traceparent`'s parent-id); the spans in between (a listener's run, a procedure's
 * execution) are never on the wire, so the chain is shown by time, each step with its sending span.
 */
export function buildTrace(traceId: string, items: readonly TrafficItem[]): TraceView | undefined {
  const id = traceId.toLowerCase();
  const members = items.filter((item) => item.traceId === id).sort((a, b) => a.at - b.at || kindOrder(a) - kindOrder(b));
  if (members.length === 0) return undefined;
  const startedAt = members[0]!.at;
  let end = startedAt;
  // A result item's traceparent names the span it ran in: messages sent from that span are its children.
  const callBySpan = new Map<string, TrafficItem>();
  for (const item of members) if (item.kind === 'call' && item.parentSpanId !== undefined && !callBySpan.has(item.parentSpanId)) callBySpan.set(item.parentSpanId, item);
  const steps = members.map((item): TraceStep => {
    const parent = item.parentSpanId !== undefined ? callBySpan.get(item.parentSpanId) : undefined;
    const durationMs = item.kind === 'call' ? item.latencyMs : undefined;
    end = Math.max(end, item.at + (durationMs ?? 0));
    return {
      item,
      offsetMs: item.at - startedAt,
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(item.parentSpanId !== undefined ? { sentBySpan: item.parentSpanId } : {}),
      ...(parent !== undefined && parent !== item && parent.at <= item.at ? { parentId: parent.id } : {}),
    };
  });
  return { traceId: id, startedAt, durationMs: end - startedAt, steps };
}

/** At the same millisecond, an event comes before the call its listener made. */
function kindOrder(item: TrafficItem): number {
  return item.kind === 'event' ? 0 : 1;
}
