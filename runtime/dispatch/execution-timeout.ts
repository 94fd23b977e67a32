import { LightbusError } from '../errors';

/** What is about to run, for an {@link ExecutionTimeoutPolicy} to pick its time limit. */
export type ExecutionTarget =
  | { readonly kind: 'procedure'; readonly api: string; readonly procedure: string; /** The caller's deadline (epoch ms). */ readonly deadline: number }
  | { readonly kind: 'listener'; readonly listenerName: string; readonly visibilityTimeoutSeconds: number };

/**
 * How long a procedure or listener may run (ms) before it counts as failed with an
 * {@link ExecutionTimeoutError}; `undefined` for no limit (the Lambda handler: Lambda's own timeout).
 */
export type ExecutionTimeoutPolicy = (target: ExecutionTarget) => number | undefined;

/**
 * A procedure or listener ran past its execution timeout. A JavaScript function cannot be
 * stopped: its promise is abandoned (whatever it still does happens unobserved) and its message
 * takes the failure path: the caller gets this error, a listener is retried or dead-lettered.
 */
export class ExecutionTimeoutError extends LightbusError {
  public constructor(what: string, timeoutMs: number, context: Record<string, string>) {
    super('EXECUTION_TIMEOUT', `${what} did not finish within its execution timeout of ${timeoutMs} ms; it was abandoned.`, {
      ...context,
      timeoutMs,
    });
  }
}

/**
 * The longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days): a longer one fires after
 * 1 ms. A timeout derived from a caller's deadline (1e300) would otherwise abandon the procedure
 * at once; anything longer is no limit.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs `run`, rejecting with `timedOut()` once `timeoutMs` passes (no limit when undefined or beyond {@link MAX_TIMER_MS}). */
export async function withExecutionTimeout<T>(run: () => Promise<T>, timeoutMs: number | undefined, timedOut: () => Error): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs) || timeoutMs > MAX_TIMER_MS) return run();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, timeoutMs));
  });
  const running = run();
  // The abandoned promise may still reject later: that must not become an unhandled rejection.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
