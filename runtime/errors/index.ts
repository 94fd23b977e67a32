/**
 * The error hierarchy of lightbus-aws. Every error carries the context a user needs to act on
 * it (API, member, parameter) in both its message and its fields, and a stable `code`.
 */

export { LightbusError } from './lightbus-error';
export type { LightbusErrorContext } from './lightbus-error';
import { LightbusError, type LightbusErrorContext } from './lightbus-error';

/** An API, RPC or event was declared wrongly (bad name, duplicate member, reserved name). */
export class InvalidDefinitionError extends LightbusError {
  public constructor(message: string, context: LightbusErrorContext = {}) {
    super('INVALID_DEFINITION', message, context);
  }
}

/** Something was looked up by name that the bus does not know. */
export class UnknownApiError extends LightbusError {
  public constructor(api: string, known: readonly string[], detail?: string) {
    super(
      'UNKNOWN_API',
      `Unknown API "${api}": this bus knows ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no APIs'}. ` +
        'Pass its definition to lightbus.create({ apis: [...] }) or register it.' +
        (detail ? ` ${detail}` : ''),
      { api, known, ...(detail ? { detail } : {}) },
    );
  }
}

/** A procedure or event name that the API does not declare. */
export class UnknownMemberError extends LightbusError {
  public constructor(api: string, kind: 'procedure' | 'event', member: string, known: readonly string[]) {
    super(
      kind === 'procedure' ? 'UNKNOWN_PROCEDURE' : 'UNKNOWN_EVENT',
      `API "${api}" has no ${kind} "${member}"; its ${kind}s are: ${known.length ? known.join(', ') : '(none)'}.`,
      { api, member, kind, known },
    );
  }
}

/** One problem found while validating a message against its schema. */
export interface ValidationIssue {
  /** JSON path of the failing value, e.g. `$.address.postcode`. */
  readonly path: string;
  /** What was expected there, in words. */
  readonly expected: string;
}

/** Parameters, a result or an event failed validation against its schema. */
export class ValidationError extends LightbusError {
  public readonly issues: readonly ValidationIssue[];

  public constructor(
    what: string,
    context: { api: string; member: string; direction: 'outgoing' | 'incoming'; part: 'parameters' | 'response' },
    issues: readonly ValidationIssue[],
  ) {
    const detail = issues.map((i) => `${i.path}: ${i.expected}`).join('; ');
    super('VALIDATION_FAILED', `Invalid ${what} for ${context.api}.${context.member}: ${detail}`, { ...context, issues });
    this.issues = issues;
  }
}

/** Only the service that registered an API (its authoritative service) may fire its events. */
export class NotAuthoritativeError extends LightbusError {
  public constructor(api: string, event: string) {
    super(
      'NOT_AUTHORITATIVE',
      `Cannot fire ${api}.${event}: this bus has not registered the "${api}" API. ` +
        `Only the service that registers "${api}" (bus.register(${api}Api, implementation)) may fire its events.`,
      { api, member: event },
    );
  }
}

/**
 * An RPC got no result before its timeout. `stage` says how far it got: `sending` (SQS had not
 * accepted the request by then: the endpoint hung or failed slowly; the request may still arrive
 * and run) or `waiting` (the request was sent; no result came).
 */
export class RpcTimeoutError extends LightbusError {
  public readonly stage: 'sending' | 'waiting';

  public constructor(api: string, procedure: string, timeoutMs: number, callId: string, readError?: Error, stage: 'sending' | 'waiting' = 'waiting') {
    super(
      'RPC_TIMEOUT',
      stage === 'sending'
        ? `${api}.${procedure} could not be sent within ${timeoutMs} ms (call ${callId}): SQS did not accept the request in time. ` +
            'Is the AWS endpoint reachable? The request may still arrive and run.'
        : `${api}.${procedure} got no result within ${timeoutMs} ms (call ${callId}). ` +
            (readError
              ? `Reading the results table was failing (${readError.name}: ${readError.message}): check the caller's ` +
                'access to the results table (dynamodb:BatchGetItem) and the table itself.'
              : `No worker may be serving the "${api}" API: is a worker running (lightbus run) or deployed for it?`),
      { api, member: procedure, timeoutMs, callId, stage },
      readError ? { cause: readError } : undefined,
    );
    this.stage = stage;
  }
}

/** The remote procedure threw; carries the remote error's name, message and stack. */
export class RemoteError extends LightbusError {
  public readonly remoteName: string;
  public readonly remoteMessage: string;
  public readonly remoteStack: string | undefined;
  public readonly remoteCode: string | undefined;

  public constructor(
    api: string,
    procedure: string,
    callId: string,
    remote: { name: string; message: string; stack?: string | undefined; code?: string | undefined },
  ) {
    super('REMOTE_ERROR', `${api}.${procedure} failed in the worker: ${remote.name}: ${remote.message}`, {
      api,
      member: procedure,
      callId,
      remote,
    });
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
    this.remoteStack = remote.stack;
    this.remoteCode = remote.code;
    if (remote.stack) this.stack = `${this.name}: ${this.message}\n--- remote stack ---\n${remote.stack}`;
  }
}

/** An event is too large for EventBridge, or a message too large for SQS. */
export class MessageTooLargeError extends LightbusError {
  public constructor(api: string, member: string, sizeBytes: number, limitBytes: number, what: string) {
    super(
      'MESSAGE_TOO_LARGE',
      `${api}.${member}: the ${what} is ${sizeBytes} bytes; the limit is ${limitBytes} bytes. ` +
        'Send a reference (e.g. an S3 key) instead of the payload.',
      { api, member, sizeBytes, limitBytes },
    );
  }
}

/**
 * EventBridge rejected an event entry even after retries, or did not accept it within the fire's
 * eventFireTimeout (`errorCode` `Timeout`). `eventId` is lightbus's id of the event (`detail.id`)
 * when fire() reports it: fire it again with `{ eventId: error.eventId }` and listeners that
 * deduplicate by event id see it once, even if the first attempt arrived after all.
 */
export class EventFireError extends LightbusError {
  /** lightbus's id of the event that was fired (`detail.id`), when known. */
  public readonly eventId: string | undefined;

  public constructor(
    api: string,
    event: string,
    errorCode: string | undefined,
    errorMessage: string | undefined,
    options: { readonly eventId?: string; readonly cause?: unknown } = {},
  ) {
    super(
      'EVENT_FIRE_FAILED',
      `Firing ${api}.${event}${options.eventId !== undefined ? ` (event ${options.eventId})` : ''} failed: ` +
        `${errorCode ?? 'UnknownError'}: ${errorMessage ?? 'no message from EventBridge'}`,
      { api, member: event, errorCode, errorMessage, ...(options.eventId !== undefined ? { eventId: options.eventId } : {}) },
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.eventId = options.eventId;
  }

  /** The same failure, naming the event it was about (fire() adds its id to the publisher's error). */
  public forEvent(eventId: string): EventFireError {
    const { api, member, errorCode, errorMessage } = this.context as { api: string; member: string; errorCode?: string; errorMessage?: string };
    return new EventFireError(api, member, errorCode, errorMessage, { eventId, ...(this.cause !== undefined ? { cause: this.cause } : {}) });
  }
}

/**
 * A message could not be sent to a queue: SQS rejected it in a SendMessageBatch call (the call
 * itself succeeded; this entry did not), even after retries if the fault was SQS's, or the queue's
 * URL could not be found.
 */
export class QueueSendError extends LightbusError {
  /** SendMessageBatch calls that carried the message (0: it never went out). */
  public readonly attempts: number;

  public constructor(
    public readonly queueName: string,
    public readonly sqsCode: string | undefined,
    public readonly sqsMessage: string | undefined,
    public readonly senderFault: boolean | undefined,
    options: { readonly attempts?: number; readonly cause?: unknown } = {},
  ) {
    const attempts = options.attempts ?? 1;
    super(
      'QUEUE_SEND_FAILED',
      `Sending a message to queue "${queueName}" failed: ${sqsCode ?? 'UnknownError'}: ${sqsMessage ?? 'no message from SQS'}` +
        (attempts > 1 ? ` (after ${attempts} attempts)` : ''),
      { queue: queueName, sqsCode, sqsMessage, senderFault, attempts },
      'cause' in options ? { cause: options.cause } : undefined,
    );
    this.attempts = attempts;
  }
}

/**
 * DynamoDB refused one claim of a BatchExecuteStatement call for a reason other than "already
 * claimed" (the call itself succeeded; this statement did not). The dispatcher retries the
 * message, as it would after a failed PutItem.
 */
export class ClaimWriteError extends LightbusError {
  public constructor(
    public readonly table: string,
    public readonly callId: string,
    public readonly dynamoDbCode: string | undefined,
    public readonly dynamoDbMessage: string | undefined,
  ) {
    super(
      'CLAIM_WRITE_FAILED',
      `Claiming call ${callId} in table "${table}" failed: ${dynamoDbCode ?? 'UnknownError'}: ${dynamoDbMessage ?? 'no message from DynamoDB'}`,
      { callId, table, dynamoDbCode, dynamoDbMessage },
    );
  }
}

/** An event fired with buffered delivery that EventBridge did not accept (after the per-entry retries). */
export interface UndeliveredEvent {
  readonly api: string;
  readonly event: string;
  /** lightbus's id of the event (`detail.id`), as fire() returned it. */
  readonly id: string;
  /** EventBridge's error code for the entry (e.g. `ThrottlingException`), the SDK error's name, or `Timeout`. */
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  /**
   * What was running when it was fired, if known: the Lambda SQS handler records the SQS message
   * id of the record whose listener fired it, so that a failed flush fails that record.
   */
  readonly origin?: string;
}

/** How many undelivered events an error message spells out; the `events` field has them all. */
const UNDELIVERED_LISTED = 10;

/**
 * One undelivered event as the error message lists it: what it was, why, and what fired it. A
 * Timeout's own message says whether it was never sent or its call was under way.
 */
function describeUndelivered(e: UndeliveredEvent): string {
  const origin = e.origin !== undefined ? `, origin ${e.origin}` : '';
  return `${e.api}.${e.event} ${e.id} (${e.errorCode ?? 'UnknownError'}: ${e.errorMessage ?? 'no message'}${origin})`;
}

/** `bus.flush()` (or `close()`): some events fired with buffered delivery were not delivered. */
export class UndeliveredEventsError extends LightbusError {
  public readonly events: readonly UndeliveredEvent[];
  /**
   * Further undelivered events that were not kept for this report: only so many are retained
   * between flushes (`fire.maxBuffered`). Each was logged as an error when it failed.
   */
  public readonly notRetained: number;

  public constructor(events: readonly UndeliveredEvent[], notRetained = 0) {
    const listed = events.slice(0, UNDELIVERED_LISTED).map(describeUndelivered);
    const more = events.length > UNDELIVERED_LISTED ? `; and ${events.length - UNDELIVERED_LISTED} more (see the error's events)` : '';
    const unretained = notRetained > 0 ? `; and ${notRetained} more not retained (see the log)` : '';
    // A Timeout can strike while a PutEvents call is under way: such an event may still arrive.
    const timeouts = events.some((e) => e.errorCode === 'Timeout')
      ? ' Timeout entries whose PutEvents call was under way may still arrive (a second fire can then duplicate them).'
      : '';
    super(
      'EVENTS_UNDELIVERED',
      `${events.length + notRetained} event(s) fired with buffered delivery were not confirmed as accepted by EventBridge ` +
        `(after retries, or within eventFireTimeout): ${listed.join('; ')}${more}${unretained}. ` +
        `lightbus will not send them again: fire them again if they must arrive.${timeouts}`,
      { events, notRetained },
    );
    this.events = events;
    this.notRetained = notRetained;
  }
}

/** Configuration is missing or wrong. */
export class ConfigurationError extends LightbusError {
  public constructor(message: string, context: LightbusErrorContext = {}) {
    super('CONFIGURATION', message, context);
  }
}

/** A message on the wire could not be understood (not JSON, wrong shape, unknown version). */
export class MalformedMessageError extends LightbusError {
  public constructor(message: string, context: LightbusErrorContext = {}) {
    super('MALFORMED_MESSAGE', message, context);
  }
}

export * from './hooks';
