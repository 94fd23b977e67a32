import { defineTask } from '../tasks/define';
import type { EveryInterval } from '../tasks/schedule';
import type { TaskHandler, TaskOptions } from '../tasks/types';
import type { Registry } from './registry';

/**
 * The client's front for declaring scheduled tasks (`bus.every()`, `bus.schedule()`): validates
 * each declaration and adds it to the service's registry. Workers with the `tasks` feature run
 * them (tasks/runner.ts); this only declares them.
 */
export class TaskDeclarations {
  public constructor(
    private readonly registry: Registry,
    /** Tasks are named after the service: no service name, no tasks (defineTask says so). */
    private readonly serviceName: string | undefined,
  ) {}

  /** A task that runs every interval. */
  public every(interval: EveryInterval, handler: TaskHandler, options: TaskOptions): void {
    this.registry.addTask(defineTask('every', interval, handler, options, this.serviceName, this.registry.tasks));
  }

  /** A task on an EventBridge schedule expression, in UTC: `cron(0 3 * * ? *)` or `rate(1 hour)`. */
  public schedule(expression: string, handler: TaskHandler, options: TaskOptions): void {
    this.registry.addTask(defineTask('schedule', expression, handler, options, this.serviceName, this.registry.tasks));
  }
}
