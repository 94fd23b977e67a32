export { DeadLetters } from './dead-letters';
export { DeadLetterQueueNotFoundError } from './errors';
export { readDeadLetter, attributesForRedrive } from './read-message';
export type {
  DeadLetter,
  DeadLetterCause,
  DeadLetterContent,
  DeadLetterListing,
  DeadLetterQueue,
  DeadLetterSelector,
  RedriveFailure,
  RedriveOptions,
  RedriveReport,
} from './types';
