import type { Context } from 'aws-lambda';
import type { BusClient } from '../runtime/client';
import { LightbusError, UndeliveredEventsError } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import { TaskRunner, type TaskInvocation, type TaskOutcome } from '../runtime/tasks';

export interface TaskHandlerOptions {
  /** @default the bus's logger */
  readonly logger?: Logger;
  /**
   * Called after each scheduled invocation with what became of it (for metrics and tests).
   * @default - nothing is called
   */
  readonly onTaskOutcome?: (input: unknown, outcome: TaskOutcome) => void;
}

/** What a scheduled invocation returns when it did not fail. */
export interface TaskInvocationResult {
  readonly task: string;
  readonly scheduledTime: string;
  /** `done`; `skipped` when another invocation ran this scheduled time; `rejected` for an input naming no task of this module. */
  readonly outcome: 'done' | 'skipped' | 'rejected';
  readonly attempt?: number;
}

export type ScheduledTaskHandler = (event: TaskInvocation, context?: Partial<Context>) => Promise<TaskInvocationResult>;

/** Thrown by a scheduled invocation whose task failed, so Lambda's retries of asynchronous invocations run it again. */
export class TaskRunFailedError extends LightbusError {
  public constructor(task: string, scheduledTime: string, attempt: number | undefined, cause: Error) {
    super(
      'TASK_RUN_FAILED',
      `Scheduled task "${task}" (${scheduledTime}${attempt !== undefined ? `, attempt ${attempt}` : ''}) failed: ${cause.message}`,
      { taskName: task, scheduledTime, ...(attempt !== undefined ? { attempt } : {}) },
      { cause },
    );
  }
}

/**
 * Runs scheduled task invocations (the input of the schedule rules `LightbusService` creates)
 * through the same {@link TaskRunner} as the local worker: claim the scheduled time, run the
 * handler, record how it ended. A failed run throws {@link TaskRunFailedError}, so Lambda retries
 * the asynchronous invocation (twice by default) and the task runs again with the next attempt
 * number; a duplicate invocation of a time already run is skipped; an input that names no task of
 * this module is logged and returned as `rejected` (retrying cannot help).
 *
 * Before returning (or throwing), it flushes events fired with buffered delivery: Lambda freezes
 * the process after return. A flush that reports undelivered events fails the invocation with
 * {@link UndeliveredEventsError} (when the run itself succeeded): the events are lost, and a failed
 * invocation is what alarms and on-failure destinations see. Lambda's retry then finds this
 * scheduled time done and skips it; it does not fire the events again.
 */
export function createTaskHandler(bus: BusClient, options: TaskHandlerOptions = {}): ScheduledTaskHandler {
  const runner = new TaskRunner(bus);
  return async (event: TaskInvocation, context?: Partial<Context>): Promise<TaskInvocationResult> => {
    // The claim holds for as long as this invocation may run (plus a margin): if it times out,
    // Lambda's retry finds the claim stale and runs the task again instead of skipping it.
    const remaining = context?.getRemainingTimeInMillis?.();
    const outcome = await runner.invoke(event, remaining === undefined ? undefined : remaining + 5000);
    const undelivered = await bus.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    options.onTaskOutcome?.(event, outcome);
    const task = typeof event?.task === 'string' ? event.task : '(unknown)';
    const scheduledTime = typeof event?.scheduledTime === 'string' ? event.scheduledTime : '(unknown)';
    if (outcome.kind === 'failed') throw new TaskRunFailedError(task, scheduledTime, outcome.attempt, outcome.error);
    if (undelivered !== undefined) {
      (options.logger ?? bus.logger).error('Scheduled task fired events that were not delivered; failing the invocation', {
        taskName: task,
        scheduledTime,
        undelivered: undelivered instanceof UndeliveredEventsError ? undelivered.events.length : undefined,
      });
      throw undelivered;
    }
    return {
      task,
      scheduledTime,
      outcome: outcome.kind,
      ...(outcome.kind === 'done' ? { attempt: outcome.attempt } : {}),
    };
  };
}
