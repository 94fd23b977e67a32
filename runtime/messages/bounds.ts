/**
 * What each name and id on the wire may hold, checked before anything is stored or logged.
 * Anyone allowed to send to a request queue (or fire on the bus) controls these strings, so each
 * is bounded in length, restricted to a charset where its use allows one, and must be well-formed
 * UTF-16 (a lone surrogate cannot be written to DynamoDB: the call would run and its result never
 * be stored). Documented in docs/wire-format.md and docs/security.md.
 */

/**
 * Call ids and event ids: 1 to 128 of `A-Z a-z 0-9 _ - . :`. The clients send lowercase UUIDs
 * (36 characters). The charset has no `#` on purpose: every other kind of key in the results
 * table contains one (`schema#<api>`, `task#<service>#<task>#<time>`), so a call id can never
 * name another kind of item. 128 leaves room for prefixed ids (`<service>:<uuid>`) far below
 * DynamoDB's 2048-byte partition key limit.
 */
export const CALL_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const MAX_ID_LENGTH = 128;
export const ID_RULE = '1 to 128 characters of letters, digits, "_", "-", "." and ":"';

/**
 * One segment of an API name, or a procedure/event name: the rule of runtime/api/names.ts
 * (`IDENTIFIER`). A name that could never be defined cannot be routed to anything, so it is
 * refused here, before it reaches a log line or an error message.
 */
const IDENTIFIER_SOURCE = '[A-Za-z][A-Za-z0-9_]*';
export const API_NAME_PATTERN = new RegExp(`^${IDENTIFIER_SOURCE}(?:\\.${IDENTIFIER_SOURCE})*$`);
export const MEMBER_NAME_PATTERN = new RegExp(`^${IDENTIFIER_SOURCE}$`);
/**
 * EventBridge limits `DetailType` (`<api>.<event>`) to 128 characters, so no API with events can
 * have a longer name; RPC-only APIs get the same bound so that every API name fits everywhere.
 */
export const MAX_NAME_LENGTH = 128;
export const API_NAME_RULE = 'dot-separated segments of letters, digits and "_", each starting with a letter, at most 128 characters';
export const MEMBER_NAME_RULE = 'letters, digits and "_", starting with a letter, at most 128 characters';
/**
 * Member names runtime/api/names.ts reserves: no definition can have them, and `constructor`,
 * `prototype` would find Object's own properties in a by-name lookup.
 */
const RESERVED_MEMBER_NAMES: ReadonlySet<string> = new Set(['then', 'constructor', 'prototype']);

/**
 * A DynamoDB table name (3 to 255 of `A-Z a-z 0-9 _ - .`) or a table ARN, which DynamoDB also
 * accepts as a `TableName`.
 */
export const TABLE_NAME_PATTERN = /^(?:[A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;
export const TABLE_NAME_RULE = 'a DynamoDB table name (3 to 255 letters, digits, "_", "-", ".") or table ARN';

/** `sender.service`, `sender.process`, `firedAt`: free text for logs, bounded. */
export const MAX_TEXT_LENGTH = 256;
export const TEXT_RULE = 'well-formed text of at most 256 characters';

/** EventBridge's own limits on the envelope's `source` and `detail-type`. */
export const MAX_SOURCE_LENGTH = 256;
export const MAX_DETAIL_TYPE_LENGTH = 128;

/**
 * How deeply `parameters` may nest objects and arrays (the parameters object itself is level 0).
 * Casting and validation walk values recursively; a 15,000-level value overflowed the stack
 * (`RangeError`) instead of failing validation. 128 is serde_json's default limit: far beyond
 * any real data, far below any stack limit.
 */
export const MAX_PARAMETER_DEPTH = 128;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (Node 20+, not yet in this project's ES2022 lib typings). */
export function isWellFormed(value: string): boolean {
  const native = (value as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(value) : !LONE_SURROGATE.test(value);
}

export function isCallId(value: unknown): value is string {
  return typeof value === 'string' && CALL_ID_PATTERN.test(value);
}

export function isApiName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME_LENGTH && API_NAME_PATTERN.test(value);
}

export function isMemberName(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length <= MAX_NAME_LENGTH && MEMBER_NAME_PATTERN.test(value) && !RESERVED_MEMBER_NAMES.has(value)
  );
}

export function isTableName(value: unknown): value is string {
  return typeof value === 'string' && TABLE_NAME_PATTERN.test(value);
}

export function isBoundedText(value: unknown, max = MAX_TEXT_LENGTH): value is string {
  return typeof value === 'string' && value.length <= max && isWellFormed(value);
}

/** Where `parameters` nests too deeply: the parameter, the JSON path of the first too-deep value. */
export interface DepthViolation {
  readonly parameter: string;
  readonly path: string;
}

function pathOf(keys: readonly (string | number)[]): string {
  return `$${keys.map((k) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('')}`;
}

/**
 * The keys leading to the first container deeper than `maxDepth` below `value` (innermost key
 * first), or undefined. Recursive, but never deeper than `maxDepth + 1` calls: it stops at the
 * bound, so the values it looks for cannot overflow the stack. Allocates nothing on the way down.
 */
function tooDeepBelow(value: object, depth: number, maxDepth: number): (string | number)[] | undefined {
  if (depth > maxDepth) return [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) {
        const keys = tooDeepBelow(item, depth + 1, maxDepth);
        if (keys) {
          keys.push(i);
          return keys;
        }
      }
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null && Object.prototype.hasOwnProperty.call(record, key)) {
      const keys = tooDeepBelow(item, depth + 1, maxDepth);
      if (keys) {
        keys.push(key);
        return keys;
      }
    }
  }
  return undefined;
}

/**
 * Finds the first value nested deeper than `maxDepth` in `parameters` (the parameters object is
 * level 0, each parameter's value level 1). Visits only objects and arrays, so a typical message
 * costs a few steps.
 */
export function findTooDeep(parameters: Record<string, unknown>, maxDepth = MAX_PARAMETER_DEPTH): DepthViolation | undefined {
  const keys = tooDeepBelow(parameters, 0, maxDepth);
  if (!keys) return undefined;
  keys.reverse();
  return { parameter: String(keys[0]), path: pathOf(keys) };
}
