import type { BusClient } from '../../../runtime';

/**
 * STAND-IN for the worker-state reader that the "state" work adds to runtime/index.ts
 * (`readWorkerStates`, from the workers' started/stopping/heartbeat events). Same signature as
 * agreed; returns no workers until then. At merge, replace this file's body with
 * `export { readWorkerStates, type WorkerState } from '../../../runtime';` — the dashboard
 * imports it from here only.
 */
export interface WorkerState {
  readonly service: string;
  readonly workerId: string;
  readonly status: 'running' | 'stopping';
  readonly runtime: 'local' | 'lambda';
  readonly apis: string[];
  readonly listeners: { api: string; event: string; listener: string }[];
  readonly version: string;
  readonly host?: string;
  readonly pid?: number;
  readonly startedAt: string;
  readonly lastSeenAt: string;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars
export async function readWorkerStates(_bus: BusClient, _options: { signal?: AbortSignal } = {}): Promise<WorkerState[]> {
  return [];
}
