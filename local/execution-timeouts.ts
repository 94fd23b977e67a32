import type { ExecutionTimeoutPolicy } from '../runtime/dispatch';
import { ConfigurationError } from '../runtime/errors';

/** The execution timeouts of a local worker (see WorkerOptions). */
export interface ExecutionTimeoutOptions {
  /**
   * How long a procedure or listener may run (ms) before it is abandoned and fails: the caller
   * gets an EXECUTION_TIMEOUT error, a listener takes its retry backoff (or the dead-letter queue
   * on its last receive). A procedure is never given past its call's deadline.
   * @default - a procedure: until its call's deadline; a listener: its queue's visibility timeout
   * (as on Lambda, whose timeout the CDK construct keeps within it)
   */
  readonly executionTimeoutMs?: number;
  /**
   * Per procedure (`"api.procedure"`) or per listener (its listener name), beating
   * `executionTimeoutMs`. A procedure is still never given past its call's deadline.
   * @default - none
   */
  readonly executionTimeouts?: Readonly<Record<string, number>>;
}

/** The local worker's {@link ExecutionTimeoutPolicy}. Throws a ConfigurationError for a timeout that is not a positive number. */
export function localExecutionTimeout(options: ExecutionTimeoutOptions, now: () => number = Date.now): ExecutionTimeoutPolicy {
  check('executionTimeoutMs', options.executionTimeoutMs);
  const overrides = options.executionTimeouts ?? {};
  for (const [name, ms] of Object.entries(overrides)) check(`executionTimeouts["${name}"]`, ms);
  return (target) => {
    if (target.kind === 'procedure') {
      const untilDeadline = Math.max(0, target.deadline - now());
      const configured = overrides[`${target.api}.${target.procedure}`] ?? options.executionTimeoutMs;
      return configured === undefined ? untilDeadline : Math.min(configured, untilDeadline);
    }
    return overrides[target.listenerName] ?? options.executionTimeoutMs ?? target.visibilityTimeoutSeconds * 1000;
  };
}

function check(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new ConfigurationError(`${name} must be a positive number of milliseconds; got ${String(value)}.`);
  }
}
