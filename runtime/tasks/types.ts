import type { ScheduleExpression } from './schedule';

/** What a task's handler receives. */
export interface TaskContext {
  readonly taskName: string;
  /** The service the task belongs to. */
  readonly service: string;
  /**
   * The time this run was scheduled for (UTC): the grid point of an `every()` interval or the
   * cron time locally; the rule's event time on Lambda. Runs are deduplicated by it.
   */
  readonly scheduledTime: Date;
  /**
   * 1 for the first run of this scheduled time; higher when an earlier attempt failed and the
   * invocation was retried (Lambda retries a failed scheduled invocation; the local worker does not).
   */
  readonly attempt: number;
}

export type TaskHandler = (context: TaskContext) => unknown;

/** Options of `bus.every()` and `bus.schedule()`. */
export interface TaskOptions {
  /**
   * Names the task: an identifier (letters, digits, `_`, starting with a letter), unique on the bus.
   * It names the EventBridge rule and the task's run records.
   */
  readonly taskName: string;
}

/** A task as the bus knows it. */
export interface TaskRegistration {
  readonly taskName: string;
  readonly schedule: ScheduleExpression;
  readonly handler: TaskHandler;
}
