import type { EventTransportName } from '../../runtime/topology';

/**
 * What the live view shows: events as EventBridge delivered them to the dashboard's temporary
 * rule, and RPC calls as the results table's stream reported their claim and outcome. Plain data:
 * it goes to the page as JSON.
 */

/** W3C trace context as it travels on the wire (top-level `traceparent` / `tracestate`). */
export interface TraceFields {
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** The trace id taken from `traceparent`, when it is a valid one. */
  readonly traceId?: string;
  /** The parent-id field of `traceparent`: the span that sent this message. */
  readonly parentSpanId?: string;
}

/** A listener an event was routed to (its rule, or its subscription to the API's topic, matched). */
export interface RoutedListener {
  /** The EventBridge rule, or for a listener of an API on SNS the topic it is subscribed to. */
  readonly rule: string;
  readonly service?: string;
  readonly listener?: string;
}

export interface TrafficEvent extends TraceFields {
  readonly kind: 'event';
  /** The lightbus event id. */
  readonly id: string;
  readonly api: string;
  readonly name: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** When it was fired (the sender's clock), epoch ms. */
  readonly at: number;
  /** When the dashboard received it, epoch ms. */
  readonly observedAt: number;
  readonly sender?: { readonly service?: string; readonly process?: string };
  /** The listeners whose rules (or topic subscriptions) match it: it was delivered to each of their queues. */
  readonly routedTo: readonly RoutedListener[];
  /** How it travelled: EventBridge, or its API's SNS topic (standard or FIFO). Absent: not known (EventBridge). */
  readonly transport?: EventTransportName;
}

export interface TrafficCall extends TraceFields {
  readonly kind: 'call';
  /** The call id. */
  readonly id: string;
  readonly api: string;
  readonly name: string;
  /** The request's parameters, when the claim carried them (at most 1 KiB of JSON). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly state: 'claimed' | 'ok' | 'error';
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string; readonly code?: string };
  /** When a worker claimed it, epoch ms: the start of its execution. */
  readonly at: number;
  readonly completedAt?: number;
  /** completedAt − claimedAt: the worker's time on it (the caller's queue wait is not visible). */
  readonly latencyMs?: number;
  /** The process that ran it. */
  readonly claimedBy?: string;
}

export type TrafficItem = TrafficEvent | TrafficCall;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace fields of a message: `traceparent` parsed (an invalid one is kept but not used). */
export function traceFields(source: { traceparent?: unknown; tracestate?: unknown }): TraceFields {
  const traceparent = typeof source.traceparent === 'string' ? source.traceparent : undefined;
  const tracestate = typeof source.tracestate === 'string' ? source.tracestate : undefined;
  const match = traceparent !== undefined ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const valid = match !== null && match[1] !== 'ff' && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  return {
    ...(traceparent !== undefined ? { traceparent } : {}),
    ...(tracestate !== undefined ? { tracestate } : {}),
    ...(valid ? { traceId: match[2]!, parentSpanId: match[3]! } : {}),
  };
}

/** What the live view can be narrowed to; every given field must match. */
export interface TrafficFilter {
  readonly kind?: 'event' | 'call';
  /** API name; `*` matches any characters. */
  readonly api?: string;
  /** Event name (events only). */
  readonly event?: string;
  /** Procedure name (calls only). */
  readonly procedure?: string;
  /** `name=value`: a parameter equals the value (as text); plain text: any parameter value contains it. */
  readonly param?: string;
  readonly traceId?: string;
}

export function matchesTraffic(item: TrafficItem, filter: TrafficFilter): boolean {
  if (filter.kind !== undefined && item.kind !== filter.kind) return false;
  if (filter.api && !wildcard(filter.api).test(item.api)) return false;
  if (filter.event && (item.kind !== 'event' || !wildcard(filter.event).test(item.name))) return false;
  if (filter.procedure && (item.kind !== 'call' || !wildcard(filter.procedure).test(item.name))) return false;
  if (filter.traceId && item.traceId !== filter.traceId.toLowerCase()) return false;
  if (filter.param && !matchesParameter(item.parameters, filter.param)) return false;
  return true;
}

function matchesParameter(parameters: Readonly<Record<string, unknown>> | undefined, expression: string): boolean {
  if (parameters === undefined) return false;
  const eq = expression.indexOf('=');
  if (eq > 0) {
    const name = expression.slice(0, eq).trim();
    const value = expression.slice(eq + 1).trim();
    return Object.prototype.hasOwnProperty.call(parameters, name) && asText(parameters[name]) === value;
  }
  return Object.values(parameters).some((value) => asText(value).includes(expression));
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

const patterns = new Map<string, RegExp>();
function wildcard(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (patterns.size > 100) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}
