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

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): `traceparent` is
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lowercase, neither id all zeros.
 * Only version `00` is accepted (a later version's extra fields would be dropped anyway).
 * Unlike every other bound here, a trace field that breaks its bound does not make the message
 * malformed: parse.ts drops it (and its `tracestate`) and the worker starts a new trace.
 */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
export const TRACEPARENT_LENGTH = 55;
/** `tracestate`: W3C's vendor list, kept as opaque text of printable ASCII; 512 is W3C's size a carrier must be able to pass on. */
export const MAX_TRACESTATE_LENGTH = 512;

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
const nativeIsWellFormed = (String.prototype as unknown as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** `String.prototype.isWellFormed` (Node 20+, not yet in this project's ES2022 lib typings). */
export function isWellFormed(value: string): boolean {
  return nativeIsWellFormed ? nativeIsWellFormed.call(value) : !LONE_SURROGATE.test(value);
}

// The checks below run on every message, so they loop over char codes with a class table rather
// than run the patterns above (which stay the definition, used by the zod schemas; a unit test
// holds the two to agreement). This keeps the bounds to a few hundred nanoseconds a message.

const LETTER = 1;
const DIGIT_OR_UNDERSCORE = 2;
const ID_PUNCTUATION = 4; // - . :
const TABLE_PUNCTUATION = 8; // - .
const CLASSES = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const char = String.fromCharCode(c);
  if (/[A-Za-z]/.test(char)) CLASSES[c] = LETTER;
  else if (/[0-9_]/.test(char)) CLASSES[c] = DIGIT_OR_UNDERSCORE;
  if (char === '-' || char === '.') CLASSES[c] = ID_PUNCTUATION | TABLE_PUNCTUATION;
  if (char === ':') CLASSES[c] = ID_PUNCTUATION;
}
const WORD = LETTER | DIGIT_OR_UNDERSCORE;
const DOT = 46;

/** Every char of `text` is ASCII and in one of `classes`. */
function allIn(text: string, classes: number): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 128 || (CLASSES[code]! & classes) === 0) return false;
  }
  return true;
}

/** `IDENTIFIER(.IDENTIFIER)*` (dots only with `dotted`): {@link API_NAME_PATTERN}, {@link MEMBER_NAME_PATTERN}. */
function isIdentifierPath(text: string, dotted: boolean): boolean {
  const length = text.length;
  if (length === 0 || length > MAX_NAME_LENGTH) return false;
  let segmentStart = true;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === DOT && dotted && !segmentStart) {
      segmentStart = true;
      continue;
    }
    if (code >= 128) return false;
    const kind = CLASSES[code]!;
    if ((kind & (segmentStart ? LETTER : WORD)) === 0) return false;
    segmentStart = false;
  }
  return !segmentStart;
}

/** {@link CALL_ID_PATTERN} */
export function isCallId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && allIn(value, WORD | ID_PUNCTUATION);
}

/** {@link API_NAME_PATTERN}, at most {@link MAX_NAME_LENGTH} characters. */
export function isApiName(value: unknown): value is string {
  return typeof value === 'string' && isIdentifierPath(value, true);
}

/** {@link MEMBER_NAME_PATTERN}, at most {@link MAX_NAME_LENGTH} characters, not reserved. */
export function isMemberName(value: unknown): value is string {
  return typeof value === 'string' && isIdentifierPath(value, false) && !RESERVED_MEMBER_NAMES.has(value);
}

/** {@link TABLE_NAME_PATTERN} */
export function isTableName(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value.length >= 3 && value.length <= 255 && allIn(value, WORD | TABLE_PUNCTUATION)) return true;
  return value.startsWith('arn:') && TABLE_NAME_PATTERN.test(value);
}

/** 0-9 a-f */
function isLowerHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 102);
}

/** Hex digits `text[start, end)`, not all `0`. */
function isNonZeroHex(text: string, start: number, end: number): boolean {
  let nonZero = false;
  for (let i = start; i < end; i += 1) {
    const code = text.charCodeAt(i);
    if (!isLowerHex(code)) return false;
    if (code !== 48) nonZero = true;
  }
  return nonZero;
}

/** {@link TRACEPARENT_PATTERN}, by char codes (it runs for every message). */
export function isTraceparent(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length === TRACEPARENT_LENGTH &&
    value.charCodeAt(0) === 48 &&
    value.charCodeAt(1) === 48 &&
    value.charCodeAt(2) === 45 &&
    isNonZeroHex(value, 3, 35) &&
    value.charCodeAt(35) === 45 &&
    isNonZeroHex(value, 36, 52) &&
    value.charCodeAt(52) === 45 &&
    isLowerHex(value.charCodeAt(53)) &&
    isLowerHex(value.charCodeAt(54))
  );
}

/** At most {@link MAX_TRACESTATE_LENGTH} characters of printable ASCII (W3C's `tracestate` charset). */
export function isTracestate(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_TRACESTATE_LENGTH) return false;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
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
  // for...in: JSON.parse makes plain objects whose enumerable keys are all their own.
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'object' && item !== null) {
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
