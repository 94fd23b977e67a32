import { ConfigurationError, InvalidDefinitionError } from '../errors';
import { everyToSeconds, parseScheduleExpression, rateExpression, type ScheduleExpression } from './schedule';
import type { TaskHandler, TaskOptions, TaskRegistration } from './types';

/** Task names are identifiers, like listener names: `-` separates the parts of rule names. */
export const TASK_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Validates a task definition (`bus.every()` / `bus.schedule()`) and returns its registration.
 * `serviceName` is required: rules and run records are named after the service.
 */
export function defineTask(
  api: 'every' | 'schedule',
  spec: unknown,
  handler: unknown,
  options: unknown,
  serviceName: string | undefined,
  existing: readonly TaskRegistration[],
): TaskRegistration {
  const taskName = (options as Partial<TaskOptions> | undefined)?.taskName;
  if (typeof taskName !== 'string' || taskName.length === 0) {
    throw new InvalidDefinitionError(
      `${api}(): options.taskName is required — it names the task's rule and run records (e.g. { taskName: "nightlyCleanup" }); ` +
        `got ${options === undefined ? 'no options' : `taskName ${JSON.stringify(taskName) ?? 'undefined'}`}.`,
    );
  }
  const where = `${api}(${taskName})`;
  if (!TASK_NAME.test(taskName)) {
    throw new InvalidDefinitionError(
      `${where}: invalid task name "${taskName}": it must match ${TASK_NAME} (letters, digits and "_", starting with a letter; ` +
        'no "-", which separates the parts of rule names).',
      { taskName },
    );
  }
  if (serviceName === undefined) {
    throw new ConfigurationError(
      `${where}: this bus has no service name, and a task's rule and run records are named after it. ` +
        'Pass lightbus.create({ serviceName }) or set LIGHTBUS_SERVICE_NAME (lightbus run --service-name).',
      { taskName },
    );
  }
  if (typeof handler !== 'function') {
    throw new InvalidDefinitionError(`${where}: the handler must be a function; got ${handler === null ? 'null' : typeof handler}.`, { taskName });
  }
  if (existing.some((t) => t.taskName === taskName)) {
    throw new InvalidDefinitionError(`${where}: a task named "${taskName}" already exists on this bus; task names must be unique within a service.`, {
      taskName,
    });
  }
  let schedule: ScheduleExpression;
  if (api === 'every') {
    const intervalSeconds = everyToSeconds(spec, where);
    schedule = { kind: 'rate', expression: rateExpression(intervalSeconds), intervalSeconds };
  } else {
    schedule = parseScheduleExpression(spec, where);
  }
  return { taskName, schedule, handler: handler as TaskHandler };
}
