import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceContext } from './trace-context';

/**
 * The trace of the work running now: what a worker is handling (a call, an event), so that the
 * calls and fires it makes continue that trace and its log lines carry the trace id. One
 * AsyncLocalStorage scope per received message (measured: within the noise of the Lambda
 * handler's time per record, bench/results/optimisations.md).
 *
 * A scope may be opened before its trace is known (the dispatcher opens it before it parses the
 * message) and filled in once it is: then the dispatcher's own log lines about the message carry
 * the trace id too.
 */
export interface TraceScope {
  context: TraceContext | undefined;
}

const activeScope = new AsyncLocalStorage<TraceScope>();

/** Runs `fn` in a new scope, with `context` if known (else filled in by {@link enterTrace}). */
export function runInTraceScope<T>(fn: () => T, context?: TraceContext): T {
  return activeScope.run({ context }, fn);
}

/**
 * Runs `fn` with `context` as the active trace: in the current scope if it is open and empty
 * (the dispatcher's), else in a scope of its own.
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

/** The trace id of the work running now, if any: what log lines carry as `traceId`. */
export function currentTraceId(): string | undefined {
  return activeScope.getStore()?.context?.traceId;
}
