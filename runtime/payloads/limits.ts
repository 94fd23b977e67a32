/**
 * How large a message each transport takes, and when a payload leaves the message for the bus's
 * payload bucket. The limits are the services' own; the headroom covers what is added to the
 * message after the sender measured it.
 */

const KIB = 1024;

/** SQS: a message body (and its attributes) of at most 256 KiB. */
export const SQS_MESSAGE_LIMIT = 256 * KIB;
/** EventBridge: a PutEvents entry (Source + DetailType + Detail) of at most 256 KiB. */
export const EVENTBRIDGE_ENTRY_LIMIT = 256 * KIB;
/** SNS: a message (and its attributes) of at most 256 KiB. */
export const SNS_MESSAGE_LIMIT = 256 * KIB;
/**
 * DynamoDB items are at most 400 KB; a results item has other attributes besides the result, so
 * results are held to 380 KiB (the worker's MAX_RESULT_BYTES).
 */
export const RESULT_ITEM_LIMIT = 380 * KIB;

/**
 * EventBridge delivers an entry to a listener queue inside its envelope (id, account, time,
 * region, resources: a few hundred bytes), and the queue takes at most 256 KiB: an entry within 1 KiB
 * of the limit could be accepted by PutEvents and then not delivered.
 */
export const EVENT_ENVELOPE_HEADROOM = KIB;

/** The message kinds a payload can travel in, with the limit of each. */
export const TransportLimit = {
  /** An RPC request on SQS. */
  RpcRequest: SQS_MESSAGE_LIMIT,
  /** An event entry on EventBridge, less the envelope it gets on the way to a listener queue. */
  EventBridgeEvent: EVENTBRIDGE_ENTRY_LIMIT - EVENT_ENVELOPE_HEADROOM,
  /** An event on SNS, less the same headroom (raw delivery adds nothing, but a subscriber may not be raw). */
  SnsEvent: SNS_MESSAGE_LIMIT - EVENT_ENVELOPE_HEADROOM,
  /** An RPC result in the results table. */
  Result: RESULT_ITEM_LIMIT,
} as const;

/**
 * The largest encoded message (UTF-8 bytes) sent inline: the transport's limit, or the bus's
 * `payloads.offloadAbove` if that is lower.
 */
export function inlineLimit(transportLimit: number, offloadAbove: number | undefined): number {
  return offloadAbove !== undefined && offloadAbove < transportLimit ? offloadAbove : transportLimit;
}

/**
 * Whether a message of `chars` UTF-16 code units (a string's `length`) is certainly within `limit`
 * UTF-8 bytes without measuring it: a code unit takes at most 3 bytes (a surrogate pair, two
 * units, takes 4). Lets the common small message skip the byte count altogether.
 */
export function certainlyWithin(chars: number, limit: number): boolean {
  return chars * 3 <= limit;
}

/** Whether a message of `bytes` (measured) must go to the payload bucket. */
export function mustOffload(bytes: number, limit: number): boolean {
  return bytes > limit;
}
