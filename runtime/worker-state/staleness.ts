import { DEFAULT_WORKER_HEARTBEAT_SECONDS } from '../config/bus-config';
import { STALE_AFTER_HEARTBEATS, type WorkerState } from './types';

export interface StalenessOptions {
  /** @default Date.now() */
  readonly now?: number;
  /** The interval of a state that does not carry its own. @default 60 */
  readonly heartbeatSeconds?: number;
}

/**
 * Whether a worker has not reported for more than two of its heartbeat intervals: it may have died
 * without stopping, or (a Lambda worker) not been invoked since. A stopping worker is never stale:
 * it said goodbye.
 */
export function isWorkerStale(state: WorkerState, options: StalenessOptions = {}): boolean {
  if (state.status === 'stopping') return false;
  const interval = state.heartbeatSeconds ?? options.heartbeatSeconds ?? DEFAULT_WORKER_HEARTBEAT_SECONDS;
  const silentMs = (options.now ?? Date.now()) - Date.parse(state.lastSeenAt);
  return silentMs > STALE_AFTER_HEARTBEATS * interval * 1000;
}
