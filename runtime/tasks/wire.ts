import { MalformedMessageError } from '../errors';
import { WIRE_VERSION } from '../messages/wire';
import { parseScheduleExpression } from './schedule';

export const TASK_INVOCATION_KIND = 'lightbus.task';

/**
 * A direct invocation of a task (see docs/wire-format.md, "Scheduled tasks"): what an operator
 * or another system passes to a worker function to run one scheduled time by hand. The schedule
 * rules themselves deliver EventBridge's own "Scheduled Event", see `taskInvocationFromScheduledEvent`.
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

/** The parts of EventBridge's "Scheduled Event" envelope a worker reads. */
interface ScheduledEventEnvelope {
  readonly source: 'aws.events';
  readonly 'detail-type': 'Scheduled Event';
  readonly time: string;
  readonly resources: readonly string[];
}

/** True for the event a schedule rule delivers when its target has no input of its own. */
export function isScheduledEvent(event: unknown): event is ScheduledEventEnvelope {
  const e = event as Partial<Record<string, unknown>> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.source === 'aws.events' &&
    e['detail-type'] === 'Scheduled Event' &&
    typeof e.time === 'string' &&
    Array.isArray(e.resources)
  );
}

/**
 * Turns a schedule rule's "Scheduled Event" into the task invocation it stands for: the rule (its
 * ARN in `resources`) names the task, the event's `time` is the scheduled time. The rule target
 * passes EventBridge's own event rather than an input template, so nothing depends on how an
 * input transformer quotes values.
 */
export function taskInvocationFromScheduledEvent(
  event: ScheduledEventEnvelope,
  service: string | undefined,
  tasksByRuleName: ReadonlyMap<string, { readonly taskName: string; readonly scheduleExpression: string }>,
): TaskInvocation {
  const ruleNames = event.resources.map((arn) => arn.slice(arn.lastIndexOf('/') + 1));
  const task = ruleNames.map((name) => tasksByRuleName.get(name)).find((found) => found !== undefined);
  if (task === undefined || service === undefined) {
    throw new MalformedMessageError(
      `A scheduled event from ${ruleNames.join(', ') || '(no rule)'} names no scheduled task of this worker ` +
        `(its task rules are: ${[...tasksByRuleName.keys()].join(', ') || 'none'}).`,
      { resources: event.resources },
    );
  }
  return {
    v: WIRE_VERSION,
    kind: TASK_INVOCATION_KIND,
    service,
    task: task.taskName,
    scheduledTime: scheduleGridTime(task.scheduleExpression, event.time),
  };
}

/**
 * The scheduled time a run is deduplicated by, on the same grid the local worker uses: rates count
 * from the Unix epoch, cron times are whole minutes. EventBridge fires `rate()` rules relative to
 * when the rule was created (e.g. 12:03:27 for a 5-minute rate): flooring to the grid (12:00:00)
 * makes a Lambda run and a container worker's run of the same interval share one lock key.
 */
export function scheduleGridTime(expression: string, time: string): string {
  const at = Date.parse(time);
  if (Number.isNaN(at)) return time; // parseTaskInvocation reports it
  const schedule = parseScheduleExpression(expression, 'scheduled event');
  const stepMs = schedule.kind === 'rate' ? schedule.intervalSeconds * 1000 : 60_000;
  return new Date(Math.floor(at / stepMs) * stepMs).toISOString();
}
