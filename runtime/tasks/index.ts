export {
  parseScheduleExpression,
  everyToSeconds,
  rateExpression,
  runsOnEventBridge,
  nextFireTime,
  nextCronTime,
  MIN_YEAR,
  MAX_YEAR,
} from './schedule';
export type { ScheduleExpression, RateSchedule, CronSchedule, CronFields, DayOfMonthRule, DayOfWeekRule, EveryInterval } from './schedule';
export { defineTask, TASK_NAME } from './define';
export type { TaskContext, TaskHandler, TaskOptions, TaskRegistration } from './types';
export { TaskRunLock, TaskRunState, TaskRunAttributes, TASK_RUN_TTL_SECONDS, DEFAULT_TASK_LEASE_MS, taskRunKey } from './lock';
export type { ClaimResult } from './lock';
export { TaskRunner } from './runner';
export type { TaskOutcome, TaskRunnerBus, TaskRunnerOptions } from './runner';
export { isTaskInvocation, isScheduledEvent, parseTaskInvocation, taskInvocationFromScheduledEvent, TASK_INVOCATION_KIND } from './wire';
export type { TaskInvocation } from './wire';
