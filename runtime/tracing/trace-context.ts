import { isTraceparent, isTracestate } from '../messages/bounds';

/**
 * One span's W3C trace context (https://www.w3.org/TR/trace-context/), as lightbus carries it in
 * `traceparent` / `tracestate` on the wire. Ids are lowercase hex, never all zeros.
 */
export interface TraceContext {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits: the id of the span this context belongs to (the parent of the next hop). */
  readonly spanId: string;
  /** W3C trace flags; bit 0 (`1`) is "sampled". */
  readonly traceFlags: number;
  /** The vendor list, as opaque text (at most 512 printable ASCII characters). */
  readonly traceState?: string | undefined;
}

/** Trace flags with the sampled bit set. */
export const SAMPLED = 1;

/**
 * Reads a `traceparent` (and its `tracestate`), or undefined if the traceparent is not a valid
 * version-00 header with non-zero ids. A malformed tracestate is dropped alone.
 */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): TraceContext | undefined {
  if (!isTraceparent(traceparent)) return undefined;
  const traceFlags = parseInt(traceparent.slice(53, 55), 16);
  const traceId = traceparent.slice(3, 35);
  const spanId = traceparent.slice(36, 52);
  return isTracestate(tracestate) && tracestate !== '' ? { traceId, spanId, traceFlags, traceState: tracestate } : { traceId, spanId, traceFlags };
}

/** `00-<trace id>-<span id>-<flags>` */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
