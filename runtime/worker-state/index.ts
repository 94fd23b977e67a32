export { WORKER_STATE_API, WorkerStateEvent, STALE_AFTER_HEARTBEATS, EXPIRE_AFTER_HEARTBEATS } from './types';
export type { WorkerState, WorkerListener, WorkerRuntime, WorkerStatus } from './types';
export { LIGHTBUS_AWS_VERSION } from './version';
export { describeWorker, newWorkerId, expiresAtOf, stateItem, stateFromItem, stateEventEntry, type WorkerDescription, type WorkerServes } from './payload';
export { WorkerStateStore, type WorkerStateTarget, type WorkerStateReport, type WorkerStateWriteOutcome } from './store';
export { readWorkerStates, readWorkerStatesFrom, type ReadWorkerStatesOptions } from './reader';
export { isWorkerStale, type StalenessOptions } from './staleness';
export { WorkerStateReporter, type WorkerStateReporterOptions } from './reporter';
export { workerStateStoreFor } from './for-bus';
