import { createHash } from 'node:crypto';

/**
 * The naming convention that lets any client find a bus's resources from the bus name alone.
 * Documented in docs/wire-format.md ("Resource names"); changing it breaks running deployments.
 */

/** SQS allows 80 characters; `-dlq` is appended to queue names, so base names stay within 76. */
const MAX_QUEUE_BASE = 76;
/** EventBridge rule names allow 64 characters. */
const MAX_RULE_NAME = 64;
/** SNS topic names allow 256 characters (a FIFO topic's `.fifo` included). */
const MAX_TOPIC_NAME = 256;

/** `support.case` → `support-case`: unambiguous because API names never contain `-`. */
export function apiSlug(api: string): string {
  return api.replace(/\./g, '-');
}

/** Keeps a name within a limit by cutting it and appending a short hash of the whole name. */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - hash.length - 1)}-${hash}`;
}

export const DEAD_LETTER_SUFFIX = '-dlq';

export function eventBusName(busName: string): string {
  return busName;
}

export function resultsTableName(busName: string): string {
  return `${busName}-results`;
}

export function rpcQueueName(busName: string, api: string): string {
  return fitName(`${busName}-rpc-${apiSlug(api)}`, MAX_QUEUE_BASE);
}

export function listenerQueueName(busName: string, service: string, listener: string): string {
  return fitName(`${busName}-listen-${service}-${listener}`, MAX_QUEUE_BASE);
}

export function listenerRuleName(busName: string, service: string, listener: string): string {
  return fitName(`${busName}-${service}-${listener}`, MAX_RULE_NAME);
}

/** The EventBridge rule (on the account's default bus) that runs a scheduled task. */
export function taskRuleName(busName: string, service: string, taskName: string): string {
  return fitName(`${busName}-${service}-task-${taskName}`, MAX_RULE_NAME);
}

/** SQS and SNS require FIFO queue and topic names to end in this. */
export const FIFO_SUFFIX = '.fifo';

/**
 * The SNS topic of an API whose events travel over SNS (`apis.<api>.transports.event: sns`), or
 * its FIFO topic (`sns-fifo`: the same name with `.fifo`).
 */
export function eventTopicName(busName: string, api: string, fifo = false): string {
  const base = `${busName}-events-${apiSlug(api)}`;
  return fifo ? `${fitName(base, MAX_TOPIC_NAME - FIFO_SUFFIX.length)}${FIFO_SUFFIX}` : fitName(base, MAX_TOPIC_NAME);
}

/** The FIFO queue of an ordered listener: the listener queue's name, fitted a little shorter, with `.fifo`. */
export function orderedListenerQueueName(busName: string, service: string, listener: string): string {
  return `${fitName(`${busName}-listen-${service}-${listener}`, MAX_QUEUE_BASE - FIFO_SUFFIX.length)}${FIFO_SUFFIX}`;
}

/** `<queue>-dlq`; a FIFO queue's dead-letter queue is FIFO too: `<queue base>-dlq.fifo`. */
export function deadLetterQueueName(queueName: string): string {
  if (queueName.endsWith(FIFO_SUFFIX)) return `${queueName.slice(0, -FIFO_SUFFIX.length)}${DEAD_LETTER_SUFFIX}${FIFO_SUFFIX}`;
  return `${queueName}${DEAD_LETTER_SUFFIX}`;
}

/** Bus, service and listener names become parts of resource names: keep them to safe characters. */
export const RESOURCE_NAME_PART = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * S3 bucket names are global, lowercase, 3 to 63 of `a-z 0-9 - .`: the payload bucket is named
 * `<prefix>-<account>-<region>`, the prefix derived from the bus name (below) and kept to 32
 * characters so that the whole name fits (12-digit account, regions up to 16 characters).
 */
const MAX_PAYLOAD_BUCKET_PREFIX = 32;

/**
 * `<bus>-payloads`, lowercased with `_` turned into `-` (S3 allows neither upper case nor `_`) and
 * fitted to 32 characters. A bus name that had to change gets a hash of the original appended, so
 * `Shop` and `shop`, or `a_b` and `a-b`, never share a bucket.
 */
export function payloadBucketPrefix(busName: string): string {
  const lowered = busName.toLowerCase().replace(/_/g, '-');
  const base = `${lowered}-payloads`;
  if (lowered === busName) return fitName(base, MAX_PAYLOAD_BUCKET_PREFIX);
  const hash = createHash('sha256').update(busName).digest('hex').slice(0, 8);
  return `${base.slice(0, MAX_PAYLOAD_BUCKET_PREFIX - hash.length - 1)}-${hash}`;
}

/** The bus's payload bucket (large parameters, results and events): `<prefix>-<account>-<region>`. */
export function payloadBucketName(busName: string, account: string, region: string): string {
  return `${payloadBucketPrefix(busName)}-${account}-${region}`;
}
