export { PayloadBucketLocator } from './bucket-locator';
export { PayloadNotStoredError, PayloadUnresolvableError, UnresolvableProblem } from './errors';
export type { PayloadSite } from './errors';
export { isPayloadKeyOf, PayloadKind, payloadKey, payloadKeyPattern } from './keys';
export {
  certainlyWithin,
  EVENT_ENVELOPE_HEADROOM,
  EVENTBRIDGE_ENTRY_LIMIT,
  inlineLimit,
  mustOffload,
  RESULT_ITEM_LIMIT,
  SNS_MESSAGE_LIMIT,
  SQS_MESSAGE_LIMIT,
  TransportLimit,
} from './limits';
export { PayloadOffloader } from './offloader';
export type { OffloadedResult } from './offloader';
export { checkContent, checkReference, isPayloadReference, MAX_PAYLOAD_BYTES, parseReferenceText, sha256Hex } from './reference';
export type { ExpectedPlace, PayloadReference } from './reference';
export { PayloadResolver } from './resolver';
export { PayloadStore } from './store';
