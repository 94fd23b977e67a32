/**
 * Where a payload lives in the bus's payload bucket: `<api>/<kind>/<id>`. The API comes first so
 * that IAM grants can be per API (a service puts objects under the APIs it calls or fires and
 * reads those of the APIs it serves or listens to); the id is the call id (`<scope>.<uuid>`) or
 * the event id, so a caller's grant can narrow further to its own caller scope.
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

/** The key of one payload. API names and ids never contain `/` (runtime/messages/bounds.ts). */
export function payloadKey(api: string, kind: PayloadKind, id: string): string {
  return `${api}/${kind}/${id}`;
}

/**
 * An S3 key pattern (for an IAM resource ARN) covering the payloads of one API and kind, or, with
 * `callerScope`, only those of calls made under that scope (`<api>/<kind>/<scope>.*`).
 */
export function payloadKeyPattern(api: string, kind: PayloadKind, callerScope?: string): string {
  return `${api}/${kind}/${callerScope === undefined ? '' : `${callerScope}.`}*`;
}
