export { AwsClients } from './aws-clients';
export { QueueLocator, queueNameFromArn } from './queue-locator';
export { EventPublisher, putEventsEntrySize, MAX_ENTRIES_PER_PUT, MAX_PUT_EVENTS_BYTES } from './event-publisher';
export type { OriginWatch } from './origin-watch';
export { TopicLocator, snsMessageOf, messageGroupOf, MAX_ENTRIES_PER_PUBLISH_BATCH, MAX_PUBLISH_BATCH_BYTES } from './sns-publish';
export type { SentEntryResult } from './sns-publish';
export type {
  BufferedDeliveryOptions,
  BufferedPublishContext,
  DeliveryListener,
  EventEntry,
  EventPublisherOptions,
  FifoPlacement,
  PublishContext,
  UndeliveredReport,
} from './event-entry';
export { ResultsStore } from './results-store';
export type { StoredResult } from './results-store';
export { ClaimBatcher, MAX_CLAIMS_PER_BATCH } from './claim-batcher';
export type { ClaimRequest } from './claim-write';
export { ResultBatcher, MAX_RESULTS_PER_BATCH, MAX_RESULT_BATCH_BYTES } from './result-batcher';
export type { ResultOutcome, ResultWrite } from './result-write';
export { ResultPoller, ResultWaitTimeout, DEFAULT_POLL_SCHEDULE } from './result-poller';
export type { FinalResult, PollSchedule } from './result-poller';
export { QueueOperations, MAX_SQS_MESSAGE_BYTES } from './queue-operations';
export type { QueueOperationsOptions } from './queue-operations';
export { DedupeStore, DedupeState, DEDUPE_KEY_PREFIX, dedupeKey } from './dedupe-store';
export type { DedupeClaim, DedupeClaimRequest, DedupeClaimResult, DedupeRecords } from './dedupe-store';
