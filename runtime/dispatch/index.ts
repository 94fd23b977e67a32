export { Dispatcher, retryDelay } from './dispatcher';
export { DeadLetterReason, isFinished } from './outcome';
export type { DispatchOutcome, InboundMessage } from './outcome';
export { toWireError } from './wire-error';
