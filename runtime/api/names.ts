import { InvalidDefinitionError } from '../errors';
import { MAX_NAME_LENGTH } from '../messages/bounds';

/**
 * One segment of an API name, or a procedure/event name. Letters, digits and `_`, starting with
 * a letter. `-` and `.` are excluded on purpose: resource names map `.` to `-`, and that mapping
 * is only unambiguous because no name can contain `-` itself.
 */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The shape of a dotted API name such as `auth` or `support.case`: {@link IDENTIFIER} segments
 * joined by `.`. The one pattern for code that checks a name's shape without the reserved-name
 * rules of {@link assertValidApiName} (e.g. the CDK constructs' grants).
 */
export const API_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/**
 * First segments refused when an API is defined, before any client exists: names lightbus keeps
 * for other uses (`default`, `then`, ...) and the commonest client methods, for an early error.
 * The full set of the client's members is read from the client itself when an API is attached
 * to it (client/reserved-roots.ts), so a new client member needs no entry here.
 */
export const RESERVED_API_ROOTS: readonly string[] = [
  'default',
  'register',
  'listen',
  'fire',
  'call',
  'api',
  'apis',
  'close',
  'config',
  'describe',
  'then',
  // lightbus's own APIs: `lightbus.state` carries worker state (runtime/worker-state).
  'lightbus',
];

/** Member names that would shadow the event client's own methods or Promise machinery. */
const RESERVED_MEMBER_NAMES: readonly string[] = ['then', 'constructor', 'prototype', '__proto__'];

/** Validates a dotted API name such as `auth` or `support.case`; throws with what was given. */
export function assertValidApiName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidDefinitionError(`An API name must be a non-empty string; got ${JSON.stringify(name)}.`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    // EventBridge's DetailType (`<api>.<event>`) holds 128 characters, and workers refuse longer
    // names on the wire (runtime/messages/bounds.ts): such an API could never be called.
    throw new InvalidDefinitionError(
      `Invalid API name "${name.slice(0, 40)}…": it has ${name.length} characters; at most ${MAX_NAME_LENGTH} are allowed.`,
      { api: name.slice(0, MAX_NAME_LENGTH) },
    );
  }
  const segments = name.split('.');
  for (const segment of segments) {
    if (segment.startsWith('_')) {
      throw new InvalidDefinitionError(
        `Invalid API name "${name}": the segment "${segment}" starts with "_", which marks private names.`,
        { api: name },
      );
    }
    if (!IDENTIFIER.test(segment)) {
      throw new InvalidDefinitionError(
        `Invalid API name "${name}": each dot-separated segment must match ${IDENTIFIER} ` +
          `(letters, digits, "_", starting with a letter); "${segment}" does not.`,
        { api: name },
      );
    }
  }
  if (name === 'default') {
    throw new InvalidDefinitionError('The API name "default" is reserved (it names the default configuration block).', {
      api: name,
    });
  }
  const root = segments[0] as string;
  if (RESERVED_API_ROOTS.includes(root)) {
    throw new InvalidDefinitionError(
      `Invalid API name "${name}": "${root}" is reserved (${RESERVED_API_ROOTS.join(', ')}).`,
      { api: name },
    );
  }
}

/** Validates a procedure or event name within an API. */
export function assertValidMemberName(api: string, kind: 'procedure' | 'event', name: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    // Workers refuse longer names on the wire (runtime/messages/bounds.ts): it could never be called.
    throw new InvalidDefinitionError(
      `Invalid ${kind} name "${api}.${name.slice(0, 40)}…": it has ${name.length} characters; at most ${MAX_NAME_LENGTH} are allowed.`,
      { api, member: name.slice(0, MAX_NAME_LENGTH) },
    );
  }
  if (name.startsWith('_')) {
    throw new InvalidDefinitionError(
      `Invalid ${kind} name "${api}.${name}": names starting with "_" are private and cannot be on the bus.`,
      { api, member: name },
    );
  }
  if (!IDENTIFIER.test(name)) {
    throw new InvalidDefinitionError(
      `Invalid ${kind} name "${api}.${name}": it must match ${IDENTIFIER} (letters, digits, "_", starting with a letter).`,
      { api, member: name },
    );
  }
  if (RESERVED_MEMBER_NAMES.includes(name)) {
    throw new InvalidDefinitionError(`Invalid ${kind} name "${api}.${name}": "${name}" is reserved.`, {
      api,
      member: name,
    });
  }
}
