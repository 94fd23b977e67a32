/**
 * The dashboard reads worker state through the runtime's reader (the workers' own items and the
 * bus's worker index; see runtime/worker-state), so it shows the same thing as
 * `lightbus inspect --workers`.
 */
export { readWorkerStates, type WorkerState } from '../../../runtime';
