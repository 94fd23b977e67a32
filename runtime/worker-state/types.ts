/**
 * What a worker tells the bus about itself (Lightbus's `internal_state` plugin: worker started,
 * heartbeat, stopping), and the shape `readWorkerStates()` gives back. docs/wire-format.md,
 * "Worker state", is the wire contract.
 */

/** Where a worker runs: `lightbus run` / `LightbusWorker` (local), or a Lambda worker function. */
export type WorkerRuntime = 'local' | 'lambda';

/** `running` from start to stop; `stopping` once it stopped taking work (it then ages out). */
export type WorkerStatus = 'running' | 'stopping';

/** One event a worker's listener handles. */
export interface WorkerListener {
  readonly api: string;
  readonly event: string;
  /** The listener's name (its consumer group within the service). */
  readonly listener: string;
}

/** A worker's latest reported state. */
export interface WorkerState {
  readonly service: string;
  /** Unique per worker process (a new one at every start or Lambda cold start). */
  readonly workerId: string;
  readonly status: WorkerStatus;
  readonly runtime: WorkerRuntime;
  /** The APIs whose procedures it serves. */
  readonly apis: readonly string[];
  /** The events its listeners handle. */
  readonly listeners: readonly WorkerListener[];
  /** The lightbus-aws version it runs. */
  readonly version: string;
  readonly host?: string;
  readonly pid?: number;
  /** ISO 8601: when the worker started (a Lambda worker: its first invocation). */
  readonly startedAt: string;
  /** ISO 8601: its latest report. */
  readonly lastSeenAt: string;
  /**
   * How often it reports while it runs (its `workerHeartbeatSeconds`); it is stale after two
   * intervals without a report ({@link isWorkerStale}). A Lambda worker reports only when invoked.
   */
  readonly heartbeatSeconds?: number;
}

/** The internal API whose events carry worker state (its root `lightbus` is reserved). */
export const WORKER_STATE_API = 'lightbus.state';

/** The worker-state events of {@link WORKER_STATE_API}. */
export const WorkerStateEvent = {
  Started: 'workerStarted',
  Heartbeat: 'workerHeartbeat',
  Stopping: 'workerStopping',
} as const;
export type WorkerStateEvent = (typeof WorkerStateEvent)[keyof typeof WorkerStateEvent];

/** A report goes stale after this many heartbeat intervals without a newer one. */
export const STALE_AFTER_HEARTBEATS = 2;

/**
 * A worker's item and index entry expire this many heartbeat intervals after its latest report:
 * readers then leave it out (DynamoDB's TTL removes the item later). Between stale and expired a
 * reader still sees it, flagged stale.
 */
export const EXPIRE_AFTER_HEARTBEATS = 5;
