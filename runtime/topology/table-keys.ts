import { randomUUID } from 'node:crypto';
import { LightbusError, type LightbusErrorContext } from '../errors';
import { CALL_ID_PATTERN, ID_RULE } from '../messages/bounds';

/**
 * Every partition key of a bus's results table is built and classified here, and nowhere else
 * (docs/wire-format.md, "Results table keys"). The rule that keeps the kinds apart:
 *
 * - a call-result key is the call id itself, and never contains `#` (CALL_ID_PATTERN has no `#`);
 * - every other kind of key starts with `<kind>#`.
 *
 * So no string a caller puts in a message can name a task run, a schema or a dedupe record: the
 * wire parse refuses such an id, {@link callResultKey} refuses it again, and the IAM grants
 * (cdk/lightbus-bus.ts) let an RPC worker write only keys without `#`, a task runner only
 * `task#<its service>#*`, a schema publisher only `schema#<its apis>`.
 */

/** The kinds of item in the results table. */
export const KeyKind = {
  /** An RPC call's claim and result; the key is the call id. */
  CallResult: 'call',
  /** A scheduled task run's record: `task#<service>#<task>#<scheduled time>`. */
  TaskRun: 'task',
  /** An API's published schema: `schema#<api>`. */
  Schema: 'schema',
  /** Reserved for an exactly-once listener option: `dedupe#<service>#<listener>#<event id>`. */
  Dedupe: 'dedupe',
  /** An ordered listener's count of failed runs of one message: `attempts#<service>#<listener>#<SQS message id>`. */
  Attempts: 'attempts',
  /** Which service owns an API (runtime/ownership): `owner#<api>`. */
  Owner: 'owner',
  /** A running worker's latest state (runtime/worker-state): `worker#<service>#<workerId>`. */
  Worker: 'worker',
  /** The bus's one index of worker-state items (runtime/worker-state): `workers#index`. */
  WorkerIndex: 'workers',
} as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

/** What separates a kind from its parts, and the parts from each other. Never in a call id. */
export const KEY_SEPARATOR = '#';

export const TASK_KEY_PREFIX = `${KeyKind.TaskRun}${KEY_SEPARATOR}`;
export const SCHEMA_KEY_PREFIX = `${KeyKind.Schema}${KEY_SEPARATOR}`;
export const DEDUPE_KEY_PREFIX = `${KeyKind.Dedupe}${KEY_SEPARATOR}`;
export const ATTEMPTS_KEY_PREFIX = `${KeyKind.Attempts}${KEY_SEPARATOR}`;
export const OWNER_KEY_PREFIX = `${KeyKind.Owner}${KEY_SEPARATOR}`;
export const WORKER_KEY_PREFIX = `${KeyKind.Worker}${KEY_SEPARATOR}`;
/** The one key of kind `workers`: the index of the bus's worker-state items. */
export const WORKER_INDEX_KEY = `${KeyKind.WorkerIndex}${KEY_SEPARATOR}index`;

/**
 * A caller scope: 1 to 64 letters, digits, `_` and `-`. No `.` (it ends the scope in a call id, so
 * scope `a` can never match scope `a.b`'s ids) and none of IAM's wildcards `*` `?`.
 */
export const CALLER_SCOPE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const CALLER_SCOPE_RULE = '1 to 64 letters, digits, "_" and "-"';
/** The scope of a client with neither a caller scope nor a service name. */
export const ANONYMOUS_CALLER_SCOPE = 'anon';
/** What ends the scope in a call id: `<scope>.<uuid>`. */
export const CALLER_SCOPE_SEPARATOR = '.';

/** A key that names no kind this bus writes, or a call id that breaks the call-id rule. */
export class InvalidTableKeyError extends LightbusError {
  public constructor(message: string, context: LightbusErrorContext) {
    super('INVALID_TABLE_KEY', message, context);
  }
}

/** Whether `scope` is a valid caller scope ({@link CALLER_SCOPE_PATTERN}). */
export function isCallerScope(scope: string): boolean {
  return CALLER_SCOPE_PATTERN.test(scope);
}

/** Throws unless `scope` is a valid caller scope; `what` names where it came from. */
export function assertCallerScope(scope: string, what = 'callerScope'): string {
  if (!isCallerScope(scope)) {
    throw new InvalidTableKeyError(`${what}: "${scope.slice(0, 80)}" is not a caller scope; expected ${CALLER_SCOPE_RULE}.`, { scope: scope.slice(0, 80) });
  }
  return scope;
}

/**
 * The scope a client's call ids carry: its `callerScope` setting, else its service name (made
 * scope-safe: other characters become `-`, cut to 64), else {@link ANONYMOUS_CALLER_SCOPE}. The CDK
 * constructs derive a service's scope with this same function, so the grant and the ids agree.
 */
export function callerScopeOf(settings: { readonly callerScope?: string | undefined; readonly serviceName?: string | undefined }): string {
  if (settings.callerScope !== undefined) return assertCallerScope(settings.callerScope);
  if (settings.serviceName !== undefined && settings.serviceName !== '') {
    return settings.serviceName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  }
  return ANONYMOUS_CALLER_SCOPE;
}

/** A new call id in `scope`: `<scope>.<uuid>` (at most 101 characters, within CALL_ID_PATTERN). */
export function newCallId(scope: string): string {
  return `${assertCallerScope(scope)}${CALLER_SCOPE_SEPARATOR}${randomUUID()}`;
}

/** The caller scope a call id carries, or undefined (an unscoped id, e.g. a bare UUID of an older client). */
export function callerScopeOfCallId(callId: string): string | undefined {
  const end = callId.indexOf(CALLER_SCOPE_SEPARATOR);
  if (end <= 0) return undefined;
  const scope = callId.slice(0, end);
  return isCallerScope(scope) ? scope : undefined;
}

/** The results-table key of a call: the call id, which must satisfy CALL_ID_PATTERN (so it has no `#`). */
export function callResultKey(callId: string): string {
  if (!CALL_ID_PATTERN.test(callId)) {
    throw new InvalidTableKeyError(`Call id "${callId.slice(0, 140)}" cannot key a call result; expected ${ID_RULE}.`, { callId: callId.slice(0, 140) });
  }
  return callId;
}

/** `task#<service>#<taskName>#<scheduledTime as ISO 8601 UTC with milliseconds>` */
export function taskRunKey(service: string, taskName: string, scheduledTime: Date): string {
  assertKeyParts(KeyKind.TaskRun, { service, taskName });
  return `${TASK_KEY_PREFIX}${service}${KEY_SEPARATOR}${taskName}${KEY_SEPARATOR}${scheduledTime.toISOString()}`;
}

/** `schema#<api>` */
export function schemaKey(api: string): string {
  assertKeyParts(KeyKind.Schema, { api });
  return `${SCHEMA_KEY_PREFIX}${api}`;
}

/** `dedupe#<service>#<listener>#<event id>`: an exactly-once listener's record of one event (runtime/transport/dedupe-store.ts). */
export function dedupeKey(service: string, listener: string, eventId: string): string {
  assertKeyParts(KeyKind.Dedupe, { service, listener, eventId });
  return `${DEDUPE_KEY_PREFIX}${service}${KEY_SEPARATOR}${listener}${KEY_SEPARATOR}${eventId}`;
}

/**
 * `attempts#<service>#<listener>#<SQS message id>`: how often an ordered listener's message failed
 * (runtime/dispatch/fifo-attempts.ts). Keyed by the SQS message id, not the event id, so a message
 * redriven from the dead-letter queue (a new message) starts counting afresh.
 */
export function attemptsKey(service: string, listener: string, messageId: string): string {
  assertKeyParts(KeyKind.Attempts, { service, listener, messageId });
  return `${ATTEMPTS_KEY_PREFIX}${service}${KEY_SEPARATOR}${listener}${KEY_SEPARATOR}${messageId}`;
}

/** `owner#<api>`: the record of which service owns an API. */
export function ownerKey(api: string): string {
  assertKeyParts(KeyKind.Owner, { api });
  return `${OWNER_KEY_PREFIX}${api}`;
}

/** `worker#<service>#<workerId>`: one worker's latest state (runtime/worker-state). */
export function workerKey(service: string, workerId: string): string {
  assertKeyParts(KeyKind.Worker, { service, workerId });
  return `${WORKER_KEY_PREFIX}${service}${KEY_SEPARATOR}${workerId}`;
}

/** A results-table key, taken apart. */
export type ClassifiedKey =
  | { readonly kind: typeof KeyKind.CallResult; readonly callId: string; readonly callerScope: string | undefined }
  | { readonly kind: typeof KeyKind.TaskRun; readonly service: string; readonly taskName: string; readonly scheduledTime: string }
  | { readonly kind: typeof KeyKind.Schema; readonly api: string }
  | { readonly kind: typeof KeyKind.Dedupe; readonly service: string; readonly listener: string; readonly eventId: string }
  | { readonly kind: typeof KeyKind.Attempts; readonly service: string; readonly listener: string; readonly messageId: string }
  | { readonly kind: typeof KeyKind.Owner; readonly api: string }
  | { readonly kind: typeof KeyKind.Worker; readonly service: string; readonly workerId: string }
  | { readonly kind: typeof KeyKind.WorkerIndex }
  | { readonly kind: 'unknown' };

/** What kind of item a key names (`unknown`: a key no part of this bus writes). */
export function classifyKey(key: string): ClassifiedKey {
  if (!key.includes(KEY_SEPARATOR)) {
    return CALL_ID_PATTERN.test(key) ? { kind: KeyKind.CallResult, callId: key, callerScope: callerScopeOfCallId(key) } : { kind: 'unknown' };
  }
  const [kind, ...parts] = key.split(KEY_SEPARATOR);
  if (parts.some((part) => part === '')) return { kind: 'unknown' };
  if (kind === KeyKind.Schema && parts.length === 1) return { kind, api: parts[0]! };
  if (kind === KeyKind.Owner && parts.length === 1) return { kind, api: parts[0]! };
  if (kind === KeyKind.TaskRun && parts.length === 3) return { kind, service: parts[0]!, taskName: parts[1]!, scheduledTime: parts[2]! };
  if (kind === KeyKind.Dedupe && parts.length === 3) return { kind, service: parts[0]!, listener: parts[1]!, eventId: parts[2]! };
  if (kind === KeyKind.Attempts && parts.length === 3) return { kind, service: parts[0]!, listener: parts[1]!, messageId: parts[2]! };
  if (kind === KeyKind.Worker && parts.length === 2) return { kind, service: parts[0]!, workerId: parts[1]! };
  if (key === WORKER_INDEX_KEY) return { kind: KeyKind.WorkerIndex };
  return { kind: 'unknown' };
}

/** IAM `dynamodb:LeadingKeys` patterns (StringLike), one per grant; see cdk/lightbus-bus.ts. */
export const KeyPatterns = {
  /** Every key of another kind than a call result (used with StringNotLike: call results only). */
  anyKindPrefixed: `*${KEY_SEPARATOR}*`,
  /** The call results of one caller scope. */
  callResultsOf: (scope: string): string => `${assertCallerScope(scope)}${CALLER_SCOPE_SEPARATOR}*`,
  /** One service's task run records. */
  taskRunsOf: (service: string): string => {
    assertKeyParts(KeyKind.TaskRun, { service });
    return `${TASK_KEY_PREFIX}${service}${KEY_SEPARATOR}*`;
  },
  /** One exactly-once listener's dedupe records. */
  dedupeRecordsOf: (service: string, listener: string): string => {
    assertKeyParts(KeyKind.Dedupe, { service, listener });
    return `${DEDUPE_KEY_PREFIX}${service}${KEY_SEPARATOR}${listener}${KEY_SEPARATOR}*`;
  },
  /** One ordered listener's attempt counts. */
  attemptsOf: (service: string, listener: string): string => {
    assertKeyParts(KeyKind.Attempts, { service, listener });
    return `${ATTEMPTS_KEY_PREFIX}${service}${KEY_SEPARATOR}${listener}${KEY_SEPARATOR}*`;
  },
  /** Every API's schema (schemas are published contracts, readable by every bus role). */
  anySchema: `${SCHEMA_KEY_PREFIX}*`,
  /** One service's worker-state items. */
  workersOf: (service: string): string => {
    assertKeyParts(KeyKind.Worker, { service });
    return `${WORKER_KEY_PREFIX}${service}${KEY_SEPARATOR}*`;
  },
  /** The index of worker-state items (a single key: a StringEquals value, no wildcard). */
  workerIndex: WORKER_INDEX_KEY,
} as const;

/** A part of a prefixed key holds no `#` (it would shift the parts) and no IAM wildcard. */
function assertKeyParts(kind: KeyKind, parts: Record<string, string>): void {
  for (const [name, value] of Object.entries(parts)) {
    if (value === '' || /[#*?]/.test(value)) {
      throw new InvalidTableKeyError(`A ${kind} key's ${name} "${value.slice(0, 140)}" must be non-empty and hold no "#", "*" or "?".`, {
        kind,
        [name]: value.slice(0, 140),
      });
    }
  }
}
