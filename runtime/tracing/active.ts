import { AsyncLocalStorage } from 'node:async_hooks';
import { openTelemetry } from './otel';
import type { TraceContext } from './trace-context';

/**
 * The trace of the work running now: what a worker is handling (a call, an event), so that the
 * calls and fires it makes continue that trace and its log lines carry the trace id.
 *
 * Kept in an AsyncLocalStorage scope per message, but only in a process whose work needs one. On
 * Node 20 a scope turns on async hooks for every promise of the process: measured, ~3 µs per
 * message, half the Lambda handler's own time for a listener that only computes
 * (bench/results/optimisations.md). So a process starts without scopes, and turns them on for
 * good the first time work reads its trace while running without one: a call or fire it makes (not
 * continued through OpenTelemetry's own context), or a line it logs. That first time the trace is
 * known only if exactly one message is being handled; otherwise that one call starts a new trace,
 * and that one log line has no trace id.
 *
 * A scope may be opened before its trace is known (the dispatcher opens it before it parses the
 * message) and filled in once it is: then the dispatcher's own log lines about the message carry
 * the trace id too.
 */
export interface TraceScope {
  context: TraceContext | undefined;
}

const activeScope = new AsyncLocalStorage<TraceScope>();
/** Whether work runs in scopes: off until work needs one (above). */
let scopesOn = false;
/** Work running without a scope, and the trace of the last one started (exact when there is one). */
let unscoped = 0;
let lastUnscoped: TraceContext | undefined;

/** Runs `fn` in a new (empty) scope, if this process uses scopes; else just runs it. */
export function runInTraceScope<T>(fn: () => T): T {
  return scopesOn ? activeScope.run({ context: undefined }, fn) : fn();
}

/**
 * Counts a message's work that runs without a scope (the dispatcher calls it as it starts, and
 * {@link unscopedWorkEnded} when done, in its own try/finally: no promise more per message).
 * Returns whether it counted.
 */
export function unscopedWorkStarted(): boolean {
  if (activeScope.getStore() !== undefined) return false;
  unscoped += 1;
  return true;
}

export function unscopedWorkEnded(): void {
  unscoped -= 1;
}

/**
 * Runs the work `fn` with `context` as the active trace: in the current scope if it is open and
 * empty (the dispatcher's), else in a scope of its own if this process uses scopes, else
 * without one (counted, so that a first need can still find it).
 */
export function enterTrace<T>(context: TraceContext, fn: () => Promise<T>): Promise<T> {
  const scope = activeScope.getStore();
  if (scope !== undefined && scope.context === undefined) {
    scope.context = context;
    return fn();
  }
  if (scopesOn) return activeScope.run({ context }, fn);
  lastUnscoped = context;
  // Counted by the dispatcher; work started elsewhere (a test, a custom consumer) counts itself.
  if (unscoped > 0) return fn();
  unscoped += 1;
  return fn().finally(unscopedWorkEnded);
}

/** Work without a scope needs its trace: scopes from now on; this once, the trace if it is certain. */
function firstNeed(): TraceContext | undefined {
  scopesOn = true;
  return unscoped === 1 ? lastUnscoped : undefined;
}

/** The trace context of the work running now, if any. */
export function activeTraceContext(): TraceContext | undefined {
  const scope = activeScope.getStore();
  if (scope !== undefined) return scope.context;
  return unscoped > 0 ? firstNeed() : undefined;
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
  return activeTraceContext()?.traceId;
}

/** For tests: whether this process has turned scopes on, and turning them off again. */
export function traceScopesOn(): boolean {
  return scopesOn;
}
export function resetTraceScopes(): void {
  scopesOn = false;
}
