import { MalformedMessageError } from '../errors';
import { WIRE_VERSION } from '../messages/wire';

export const TASK_INVOCATION_KIND = 'lightbus.task';

/**
 * The input an EventBridge schedule rule passes to a service's worker function, naming the task
 * (see docs/wire-format.md, "Scheduled tasks"). The rule's input transformer fills scheduledTime
 * with the scheduled event's `time`.
 */
export interface TaskInvocation {
  readonly v: typeof WIRE_VERSION;
  readonly kind: typeof TASK_INVOCATION_KIND;
  readonly service: string;
  readonly task: string;
  /** ISO 8601, UTC. */
  readonly scheduledTime: string;
}

/** True when a Lambda event looks like a scheduled task invocation (routing only; parse to check it). */
export function isTaskInvocation(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { kind?: unknown }).kind === TASK_INVOCATION_KIND;
}

/** Checks a scheduled task invocation; throws MalformedMessageError saying what is wrong. */
export function parseTaskInvocation(event: unknown): { service: string; task: string; scheduledTime: Date } {
  const e = (event ?? {}) as Partial<Record<keyof TaskInvocation, unknown>>;
  const problems: string[] = [];
  if (e.v !== WIRE_VERSION) problems.push(`v must be ${WIRE_VERSION} (got ${JSON.stringify(e.v)})`);
  if (e.kind !== TASK_INVOCATION_KIND) problems.push(`kind must be "${TASK_INVOCATION_KIND}" (got ${JSON.stringify(e.kind)})`);
  if (typeof e.service !== 'string' || e.service === '') problems.push('service must be a non-empty string');
  if (typeof e.task !== 'string' || e.task === '') problems.push('task must be a non-empty string');
  const time = typeof e.scheduledTime === 'string' ? new Date(e.scheduledTime) : undefined;
  if (!time || Number.isNaN(time.getTime())) problems.push(`scheduledTime must be an ISO 8601 time (got ${JSON.stringify(e.scheduledTime)})`);
  if (problems.length > 0) {
    throw new MalformedMessageError(`Malformed scheduled task invocation: ${problems.join('; ')}.`, { given: JSON.stringify(event)?.slice(0, 500) });
  }
  return { service: e.service as string, task: e.task as string, scheduledTime: time as Date };
}
