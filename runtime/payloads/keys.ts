import { randomUUID } from 'node:crypto';

/**
 * Where a payload lives in the bus's payload bucket: `<api>/<kind>/<object id>`, the object id a
 * new random lowercase UUID per payload. The API comes first so that IAM grants can be per API (a
 * service puts objects under the APIs it calls or fires and gets those of the APIs it serves or
 * listens to); the fixed-length id lets a grant name exactly the keys of one API and kind with
 * `?` wildcards, no `*`. A key is unguessable: only the message that references it names it.
 * Documented in docs/wire-format.md ("Large payloads").
 */

/** What an object holds. */
export const PayloadKind = {
  /** An RPC request's parameters, written by the caller, read by the worker serving the API. */
  Call: 'call',
  /** An RPC result, written by the worker serving the API, read by the caller. */
  Result: 'result',
  /** An event's parameters, written by the firer (the API's owner), read by its listeners. */
  Event: 'event',
} as const;
export type PayloadKind = (typeof PayloadKind)[keyof typeof PayloadKind];

/** A lowercase UUID, the object id of every key. */
const OBJECT_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const OBJECT_ID_PATTERN = new RegExp(`^${OBJECT_ID}$`);

/** The key of one payload; `objectId` defaults to a new random UUID. API names never contain `/`. */
export function payloadKey(api: string, kind: PayloadKind, objectId: string = randomUUID()): string {
  return `${api}/${kind}/${objectId}`;
}

/** Whether `key` is a payload key of this API and kind (`<api>/<kind>/<uuid>`). */
export function isPayloadKeyOf(key: string, api: string, kind: PayloadKind): boolean {
  const prefix = `${api}/${kind}/`;
  return key.startsWith(prefix) && OBJECT_ID_PATTERN.test(key.slice(prefix.length));
}

/**
 * The S3 key pattern (for an IAM resource ARN) of exactly the payload keys of one API and kind:
 * `<api>/<kind>/????????-????-????-????-????????????`.
 */
export function payloadKeyPattern(api: string, kind: PayloadKind): string {
  return `${api}/${kind}/????????-????-????-????-????????????`;
}
