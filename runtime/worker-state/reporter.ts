import { hostname } from 'node:os';
import type { Logger } from '../logging';
import { newWorkerId, type WorkerDescription } from './payload';
import type { WorkerStateStore, WorkerStateWriteOutcome } from './store';
import { WorkerStateEvent, type WorkerRuntime, type WorkerState, type WorkerStatus } from './types';
import { LIGHTBUS_AWS_VERSION } from './version';

export interface WorkerStateReporterOptions {
  readonly runtime: WorkerRuntime;
  /** How often it reports while running (the bus's workerHeartbeatSeconds). */
  readonly heartbeatSeconds: number;
  /** The worker's process name (the events' `sender.process`). */
  readonly process: string;
  readonly logger: Logger;
  /** @default a new random id */
  readonly workerId?: string;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Reports one worker's state: `started`, then a heartbeat every interval, then `stopping`. Never
 * throws: a report that fails is logged, and the next one tries again. Two ways to drive it:
 *
 * - a long-running worker: {@link start} (reports, then a heartbeat timer) and {@link stop};
 * - a Lambda worker: {@link onInvocation} on each invocation, which reports `started` on the first
 *   and a heartbeat only when one is due (at most once per interval): no call on any other
 *   invocation, and no timer (a frozen environment runs none).
 */
export class WorkerStateReporter {
  public readonly workerId: string;
  private readonly clock: () => number;
  private startedAt: string | undefined;
  private lastReportMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;

  public constructor(
    private readonly store: WorkerStateStore,
    private readonly description: WorkerDescription,
    private readonly options: WorkerStateReporterOptions,
  ) {
    this.workerId = options.workerId ?? newWorkerId();
    this.clock = options.clock ?? (() => Date.now());
  }

  /** Reports `started` (with the index's expired entries pruned), then a heartbeat every interval until {@link stop}. */
  public async start(): Promise<void> {
    await this.report(WorkerStateEvent.Started);
    this.timer = setInterval(() => {
      this.inFlight ??= this.report(WorkerStateEvent.Heartbeat).finally(() => {
        this.inFlight = undefined;
      });
    }, this.options.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the heartbeats and reports `stopping` (status `stopping`; the entry then ages out). */
  public async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.startedAt !== undefined) await this.report(WorkerStateEvent.Stopping);
  }

  /**
   * For a Lambda worker, on each invocation: the report due now (`started` on the first
   * invocation, a heartbeat once an interval has passed since the last report), or undefined when
   * none is, which is every other invocation. Await it before the invocation returns.
   */
  public onInvocation(): Promise<void> | undefined {
    if (this.inFlight !== undefined) return undefined;
    const event =
      this.startedAt === undefined
        ? WorkerStateEvent.Started
        : this.clock() - this.lastReportMs >= this.options.heartbeatSeconds * 1000
          ? WorkerStateEvent.Heartbeat
          : undefined;
    if (event === undefined) return undefined;
    const report = this.report(event).finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = report;
    return report;
  }

  /** The state as the next report would give it. */
  public stateAt(nowMs: number, status: WorkerStatus): WorkerState & { readonly heartbeatSeconds: number } {
    const now = new Date(nowMs).toISOString();
    return {
      ...this.description,
      workerId: this.workerId,
      status,
      runtime: this.options.runtime,
      version: LIGHTBUS_AWS_VERSION,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt ?? now,
      lastSeenAt: now,
      heartbeatSeconds: this.options.heartbeatSeconds,
    };
  }

  private async report(event: WorkerStateEvent): Promise<void> {
    const nowMs = this.clock();
    const state = this.stateAt(nowMs, event === WorkerStateEvent.Stopping ? 'stopping' : 'running');
    this.startedAt ??= state.startedAt;
    this.lastReportMs = nowMs;
    const fields = { service: state.service, workerId: this.workerId, event };
    let outcome: WorkerStateWriteOutcome;
    try {
      const [written] = await Promise.all([
        this.store.write({ state, event, process: this.options.process }),
        // Only at start: the service's dead workers' entries leave the index (one GetItem; one UpdateItem if any).
        event === WorkerStateEvent.Started ? this.store.pruneExpired(state.service, nowMs).catch(() => 0) : 0,
      ]);
      outcome = written;
    } catch (error) {
      outcome = { failures: [{ part: 'item', error: error as Error }] };
    }
    for (const failure of outcome.failures) {
      this.options.logger.warn('Could not report the worker state; the next report tries again', { ...fields, part: failure.part, error: failure.error });
    }
    if (outcome.failures.length === 0) this.options.logger.debug('Reported the worker state', fields);
  }
}
