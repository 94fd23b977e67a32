import { AsyncLocalStorage } from 'node:async_hooks';
import { openTelemetry } from './otel';
import type { TraceContext } from './trace-context';

/**
 * The trace of the work running now: what a worker is handling (a call, an event), so that the
 * calls and fires it makes continue that trace and its log lines carry the trace id.
 *
 * Kept in an AsyncLocalStorage scope per message. That is the one way to know, inside a listener
 * or procedure that calls the bus's shared client, which of the messages running at once the call
 * belongs to. On Node 20 and 22 a scope turns on async hooks for every promise of the process
 * (~3 µs per message, measured: bench/results/optimisations.md); Node 24 keeps the context in the
 * async context frame instead, which is much cheaper. An earlier cut turned scopes on lazily, the
 * first time work read its trace, and then had to guess which message that first read belonged
 * to: with several messages in flight (a Lambda batch, the local worker) the first call of a
 * process could start a new trace. A trace that is sometimes wrong is worse than a microsecond.
 *
 * A scope may be opened before its trace is known (the dispatcher opens it before it parses the
 * message) and filled in once it is: then the dispatcher's own log lines about the message carry
 * the trace id too.
 */
export interface TraceScope {
  context: TraceContext | undefined;
}

const activeScope = new AsyncLocalStorage<TraceScope>();

/** Runs `fn` in a new (empty) scope. */
export function runInTraceScope<T>(fn: () => T): T {
  return activeScope.run({ context: undefined }, fn);
}

/**
 * Starts `start(item)` for each item, each in a new (empty) scope, as {@link runInTraceScope}
 * would, for work started together (a batch of records): the scopes are entered in turn and the
 * caller's restored once at the end. `run()` makes two context frames per call (enter, restore);
 * this makes one per item and one per batch. `start` must only start the work (return its promise),
 * never throw.
 */
export function startEachInTraceScope<T, R>(items: readonly T[], start: (item: T) => R): R[] {
  const prior = activeScope.getStore();
  try {
    return items.map((item) => {
      activeScope.enterWith({ context: undefined });
      return start(item);
    });
  } finally {
    // The caller's own continuations must not carry the last item's trace.
    activeScope.enterWith(prior as TraceScope);
  }
}

/**
 * Runs the work `fn` with `context` as the active trace: in the current scope if it is open and
 * empty (the dispatcher's), else in a scope of its own.
 */
export function enterTrace<T>(context: TraceContext, fn: () => T): T {
  const scope = activeScope.getStore();
  if (scope !== undefined && scope.context === undefined) {
    scope.context = context;
    return fn();
  }
  return activeScope.run({ context }, fn);
}

/** The trace context of the work running now, if any. */
export function activeTraceContext(): TraceContext | undefined {
  return activeScope.getStore()?.context;
}

/**
 * The trace id of the work running now, if any: what log lines carry as `traceId`. Lightbus's scope
 * first, then OpenTelemetry's active span (the work's span, or the application's own).
 */
export function currentTraceId(): string | undefined {
  const scoped = activeScope.getStore()?.context;
  if (scoped !== undefined) return scoped.traceId;
  const api = openTelemetry();
  const active = api?.trace.getActiveSpan()?.spanContext();
  if (active !== undefined && api?.trace.isSpanContextValid(active)) return active.traceId;
  return undefined;
}
