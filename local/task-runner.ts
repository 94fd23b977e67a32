import type { BusClient } from '../runtime/client';
import type { Logger } from '../runtime/logging';
import { nextFireTime, TaskRunner, type TaskOutcome, type TaskRegistration } from '../runtime/tasks';
import { TypedEmitter } from './typed-emitter';

/** setTimeout's longest delay (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What became of a due run locally: a runner outcome, or skipped because the last run still ran. */
export type LocalTaskOutcome = TaskOutcome | { readonly kind: 'skipped'; readonly reason: 'overlap' };

export type TaskSchedulerEvents = {
  task_finished: [taskName: string, scheduledTime: Date, outcome: LocalTaskOutcome];
};

export interface TaskSchedulerOptions {
  readonly logger: Logger;
  /** Claim each scheduled time in the results table (runs once across processes). @default true */
  readonly lock?: boolean;
}

interface TaskState {
  readonly task: TaskRegistration;
  timer: NodeJS.Timeout | undefined;
  /** The scheduled time the timer is set for. */
  next: Date | undefined;
  running: Promise<void> | undefined;
}

/**
 * Runs a bus module's scheduled tasks in this process, on timers: a rate on its grid from the Unix
 * epoch (so every process computes the same scheduled times), a cron expression at its next
 * matching minute (UTC). A run that throws is logged and later runs go on; a run still going when
 * the next is due makes that next one skip (logged), never overlap.
 */
export class LocalTaskScheduler extends TypedEmitter<TaskSchedulerEvents> {
  private readonly runner: TaskRunner;
  private readonly states: TaskState[];
  private stopped = false;

  public constructor(
    bus: BusClient,
    private readonly options: TaskSchedulerOptions,
  ) {
    super();
    this.runner = new TaskRunner(bus, { lock: options.lock ?? true });
    this.states = bus.registry.tasks.map((task) => ({ task, timer: undefined, next: undefined, running: undefined }));
  }

  public get taskNames(): string[] {
    return this.states.map((s) => s.task.taskName);
  }

  /** Runs in progress right now. */
  public get runningCount(): number {
    return this.states.filter((s) => s.running !== undefined).length;
  }

  public start(): void {
    for (const state of this.states) this.arm(state, new Date());
  }

  /**
   * Starts no more runs and waits for those in progress, at most `drainTimeoutMs`. Resolves with
   * how many finished and how many were still running when the time ran out (they go on in the
   * background; a task cannot be interrupted).
   */
  public async stop(drainTimeoutMs: number): Promise<{ finished: number; abandoned: number }> {
    this.stopped = true;
    for (const state of this.states) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    const running = this.states.filter((s) => s.running !== undefined);
    if (running.length === 0) return { finished: 0, abandoned: 0 };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainTimeoutMs);
    });
    await Promise.race([Promise.all(running.map((s) => s.running)), timeout]);
    clearTimeout(timer);
    const abandoned = running.filter((s) => s.running !== undefined).map((s) => s.task.taskName);
    if (abandoned.length > 0) {
      this.options.logger.warn('Scheduled task runs were still in progress when the drain timeout passed', { tasks: abandoned, drainTimeoutMs });
    }
    return { finished: running.length - abandoned.length, abandoned: abandoned.length };
  }

  /** Sets the task's timer for its first scheduled time after `after`. */
  private arm(state: TaskState, after: Date): void {
    if (this.stopped) return;
    const next = nextFireTime(state.task.schedule, after);
    state.next = next;
    if (next === undefined) {
      this.options.logger.info('Scheduled task will not run again: its schedule has no later time', {
        task: state.task.taskName,
        schedule: state.task.schedule.expression,
      });
      return;
    }
    this.setTimer(state, next);
  }

  private setTimer(state: TaskState, at: Date): void {
    const delay = Math.min(Math.max(0, at.getTime() - Date.now()), MAX_TIMER_MS);
    // Not unref'd: a worker with tasks only is kept alive by these timers.
    state.timer = setTimeout(() => this.due(state, at), delay);
  }

  private due(state: TaskState, scheduledTime: Date): void {
    state.timer = undefined;
    if (this.stopped) return;
    // Timers may fire a little early, and long waits are split: wait out the rest.
    if (Date.now() < scheduledTime.getTime()) {
      this.setTimer(state, scheduledTime);
      return;
    }
    if (state.running) {
      this.options.logger.warn('Skipped a scheduled task run: the previous run is still in progress', {
        task: state.task.taskName,
        scheduledTime: scheduledTime.toISOString(),
        reason: 'overlap',
      });
      this.emit('task_finished', state.task.taskName, scheduledTime, { kind: 'skipped', reason: 'overlap' });
    } else {
      const run = this.runner.run(state.task.taskName, scheduledTime).then(
        (outcome) => {
          state.running = undefined;
          this.emit('task_finished', state.task.taskName, scheduledTime, outcome);
        },
        (error: unknown) => {
          // The runner never rejects; this is the net for a bug in it.
          state.running = undefined;
          this.options.logger.error('Scheduled task run threw', { task: state.task.taskName, error: error as Error });
        },
      );
      state.running = run;
    }
    // The next time after this one, even if this one was late: missed times are not caught up.
    this.arm(state, new Date(Math.max(Date.now(), scheduledTime.getTime())));
  }
}
