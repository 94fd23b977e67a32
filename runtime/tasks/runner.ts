import { LightbusError } from '../errors';
import { toWireError } from '../dispatch/wire-error';
import type { Logger } from '../logging';
import type { AwsClients } from '../transport';
import { TaskRunLock, taskRunKey } from './lock';
import type { TaskContext, TaskRegistration } from './types';
import { parseTaskInvocation } from './wire';

/** What became of one scheduled run. */
export type TaskOutcome =
  /** The handler ran and returned. */
  | { readonly kind: 'done'; readonly attempt: number }
  /** The handler threw, or the run could not be claimed or recorded (DynamoDB unavailable). */
  | { readonly kind: 'failed'; readonly attempt: number | undefined; readonly error: Error }
  /** Not run, on purpose: another process or invocation ran (or is running) this scheduled time. */
  | { readonly kind: 'skipped'; readonly reason: 'duplicate' }
  /** Not run: the invocation names no task of this bus module. Retrying cannot help. */
  | { readonly kind: 'rejected'; readonly error: LightbusError };

/**
 * What the runner needs of a bus client. Structural, so that tasks/ does not import the client
 * (the client declares tasks through tasks/; the reverse import would close a circle).
 */
export interface TaskRunnerBus {
  readonly registry: { readonly tasks: readonly TaskRegistration[] };
  readonly settings: { readonly serviceName: string | undefined; readonly processName: string };
  readonly logger: Logger;
  readonly transports: { readonly clients: AwsClients; readonly location: { readonly resultsTable: string } };
}

export interface TaskRunnerOptions {
  /**
   * Claim each scheduled time in the results table before running it, so it runs once across
   * every process and function of the service. @default true
   */
  readonly lock?: boolean;
}

/**
 * Runs scheduled tasks: claim the scheduled time, run the handler, record how it ended. The local
 * worker and the Lambda handler both use this, so both behave the same. It never throws.
 */
export class TaskRunner {
  private readonly lock: TaskRunLock | undefined;

  public constructor(
    private readonly bus: TaskRunnerBus,
    options: TaskRunnerOptions = {},
  ) {
    this.lock = options.lock === false ? undefined : new TaskRunLock(bus.transports.clients);
  }

  /** Runs a scheduled task invocation (the input of a schedule rule). */
  /**
   * @param leaseMs how long this run's claim holds (a Lambda passes its remaining time, so the
   * retry of a timed-out invocation can run it again). @default DEFAULT_TASK_LEASE_MS
   */
  public async invoke(input: unknown, leaseMs?: number): Promise<TaskOutcome> {
    let parsed: ReturnType<typeof parseTaskInvocation>;
    try {
      parsed = parseTaskInvocation(input);
    } catch (error) {
      this.bus.logger.error('Rejected a scheduled task invocation', { error: error as Error });
      return { kind: 'rejected', error: error as LightbusError };
    }
    const service = this.bus.settings.serviceName;
    if (parsed.service !== service) {
      const error = new LightbusError(
        'WRONG_SERVICE',
        `A scheduled invocation of task "${parsed.task}" of service "${parsed.service}" reached service "${service ?? '(unnamed)'}".`,
        { taskName: parsed.task, service: parsed.service },
      );
      this.bus.logger.error('Rejected a scheduled task invocation', { error });
      return { kind: 'rejected', error };
    }
    return this.run(parsed.task, parsed.scheduledTime, leaseMs);
  }

  /** Runs one scheduled time of a task. */
  public async run(taskName: string, scheduledTime: Date, leaseMs?: number): Promise<TaskOutcome> {
    const registration = this.bus.registry.tasks.find((t) => t.taskName === taskName);
    const service = this.bus.settings.serviceName;
    if (!registration || service === undefined) {
      const known = this.bus.registry.tasks.map((t) => t.taskName);
      const error = new LightbusError(
        'UNKNOWN_TASK',
        `This bus module has no task "${taskName}"; its tasks are ${known.map((t) => `"${t}"`).join(', ') || '(none)'}.`,
        { taskName },
      );
      this.bus.logger.error('Rejected a scheduled task run', { error });
      return { kind: 'rejected', error };
    }
    const log = { task: taskName, scheduledTime: scheduledTime.toISOString() };
    const table = this.bus.transports.location.resultsTable;
    const key = taskRunKey(service, taskName, scheduledTime);
    let attempt = 1;
    if (this.lock) {
      try {
        const claim = await this.lock.claim(table, key, {
          service,
          taskName,
          scheduledTime,
          claimedBy: this.bus.settings.processName,
          ...(leaseMs !== undefined ? { leaseMs } : {}),
        });
        if (!claim.claimed) {
          // Info, not debug: a skipped run is a run that did not happen, and its reason must show.
          const { state, claimedBy, attempts } = claim.heldBy;
          this.bus.logger.info('Skipped a scheduled task run: its record shows it already ran or is running', {
            ...log,
            reason: state === 'done' ? 'already done' : state === 'running' ? 'running elsewhere (lease not expired)' : `record state ${state ?? 'unknown'}`,
            recordState: state,
            claimedBy,
            attempts,
          });
          return { kind: 'skipped', reason: 'duplicate' };
        }
        attempt = claim.attempt;
      } catch (error) {
        this.bus.logger.error('Could not claim a scheduled task run; it did not run', { ...log, error: error as Error });
        return { kind: 'failed', attempt: undefined, error: error as Error };
      }
    }
    const outcome = await this.runHandler(registration, { taskName, service, scheduledTime, attempt });
    if (this.lock) {
      try {
        await this.lock.finish(table, key, outcome.kind === 'done' ? { ok: true } : { ok: false, error: toWireError(outcome.error) });
      } catch (error) {
        // The run happened; only its record is stale (a retry of a failed run will find it `running`).
        this.bus.logger.warn('Could not record how a scheduled task run ended', { ...log, error: error as Error });
      }
    }
    return outcome;
  }

  private async runHandler(
    registration: TaskRegistration,
    context: TaskContext,
  ): Promise<{ kind: 'done'; attempt: number } | { kind: 'failed'; attempt: number; error: Error }> {
    const log = { task: context.taskName, scheduledTime: context.scheduledTime.toISOString(), attempt: context.attempt };
    const started = Date.now();
    try {
      await registration.handler(context);
      this.bus.logger.debug('Scheduled task ran', { ...log, durationMs: Date.now() - started });
      return { kind: 'done', attempt: context.attempt };
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new LightbusError('NON_ERROR_THROWN', `The task threw a non-Error: ${String(thrown)}`);
      this.bus.logger.error('Scheduled task failed', { ...log, durationMs: Date.now() - started, error });
      return { kind: 'failed', attempt: context.attempt, error };
    }
  }
}
