import type { z } from 'zod';
import { MalformedMessageError } from '../errors';
import { quoteText } from '../logging/escape';
import {
  findTooDeep,
  isApiName,
  isBoundedText,
  isCallId,
  isMemberName,
  isTableName,
  isTraceparent,
  isTracestate,
  MAX_DETAIL_TYPE_LENGTH,
  MAX_ID_LENGTH,
  MAX_PARAMETER_DEPTH,
  MAX_SOURCE_LENGTH,
} from './bounds';
import { isPayloadReference } from '../payloads/reference';
import {
  eventDetailType,
  eventSource,
  wireSchemas,
  WIRE_VERSION,
  type EventDetail,
  type RpcRequest,
} from './wire';

/**
 * What kind of problem made a message malformed: `context.problem` of the MalformedMessageError
 * (its `code` stays `MALFORMED_MESSAGE`, as documented for callers).
 */
export const MalformedProblem = {
  /** The body is not JSON. */
  NotJson: 'NOT_JSON',
  /** The JSON does not follow the wire format: a field is missing, of the wrong type, or breaks its bounds (bounds.ts). */
  NotWireFormat: 'NOT_WIRE_FORMAT',
  /** `parameters` nests objects and arrays deeper than MAX_PARAMETER_DEPTH. */
  ParametersTooDeep: 'PARAMETERS_TOO_DEEP',
  /** An event's EventBridge envelope (what rules and IAM saw) disagrees with its detail. */
  EnvelopeMismatch: 'ENVELOPE_MISMATCH',
} as const;
export type MalformedProblem = (typeof MalformedProblem)[keyof typeof MalformedProblem];

/**
 * Where a malformed request may be answered: its `id` is a well-formed call id and its
 * `returnPath.table` a well-formed table name. Well-formed, not trusted: the dispatcher must still
 * check the table is its own, and the answer must only create an item, never change one.
 */
export interface AnswerAddress {
  readonly callId: string;
  readonly table: string;
}

/** The outcome of reading an RPC request body. */
export type RpcRequestReading =
  | { readonly ok: true; readonly request: RpcRequest }
  | {
      readonly ok: false;
      readonly error: MalformedMessageError;
      /** Set only when the request may be answered with an error result; otherwise dead-letter it. */
      readonly answerTo: AnswerAddress | undefined;
    };

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError(`The ${what} is not JSON: ${(error as Error).message}`, {
      problem: MalformedProblem.NotJson,
      bodyStart: body.slice(0, 120),
    });
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

// Fast structural checks for the hot path: every message a worker receives goes through one of
// these. The zod schemas in wire.ts stay the definition of the format; they run only when a check
// fails, to say exactly what is wrong (a zod parse costs several times these checks).

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSender(value: unknown): boolean {
  return (
    value === undefined ||
    (isRecord(value) &&
      (value.service === undefined || isBoundedText(value.service)) &&
      (value.process === undefined || isBoundedText(value.process)))
  );
}

function looksLikeRpcRequest(value: unknown): value is RpcRequest {
  return (
    isRecord(value) &&
    value.v === WIRE_VERSION &&
    value.kind === 'lightbus.rpc' &&
    isCallId(value.id) &&
    isApiName(value.api) &&
    isMemberName(value.procedure) &&
    hasParameters(value) &&
    Number.isInteger(value.deadline) &&
    (value.deadline as number) > 0 &&
    isRecord(value.returnPath) &&
    isTableName(value.returnPath.table) &&
    isSender(value.sender)
  );
}

function looksLikeEnvelope(value: unknown): value is { id: string; 'detail-type': string; source: string; detail: unknown } {
  return (
    isRecord(value) &&
    isBoundedText(value.id, MAX_ID_LENGTH) &&
    isBoundedText(value['detail-type'], MAX_DETAIL_TYPE_LENGTH) &&
    isBoundedText(value.source, MAX_SOURCE_LENGTH) &&
    (value.time === undefined || isBoundedText(value.time))
  );
}

function looksLikeEventDetail(value: unknown): value is EventDetail {
  return (
    isRecord(value) &&
    value.v === WIRE_VERSION &&
    value.kind === 'lightbus.event' &&
    isCallId(value.id) &&
    isApiName(value.api) &&
    isMemberName(value.event) &&
    hasParameters(value) &&
    isBoundedText(value.firedAt) &&
    isSender(value.sender)
  );
}

/**
 * Drops trace fields that break their bounds, in place (the parsed JSON is ours alone): a bad
 * trace context never fails a message, the worker starts a new trace instead. A `tracestate`
 * without a valid `traceparent` goes too (W3C: it means nothing on its own).
 */
function keepWellFormedTrace(message: { traceparent?: unknown; tracestate?: unknown }): void {
  if (message.traceparent === undefined && message.tracestate === undefined) return;
  if (!isTraceparent(message.traceparent)) {
    delete message.traceparent;
    delete message.tracestate;
  } else if (message.tracestate !== undefined && !isTracestate(message.tracestate)) {
    delete message.tracestate;
  }
}

/** Inline `parameters`, or a `parametersRef` in their place (never both). */
function hasParameters(value: Record<string, unknown>): boolean {
  return value.parametersRef === undefined ? isRecord(value.parameters) : value.parameters === undefined && isPayloadReference(value.parametersRef);
}

/** A caller-controlled string cut for an error message (a path's keys may be of any length). */
function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Whether `parameters` nest too deeply: asked before the error's text and context are built (this runs per message). */
function isTooDeep(parameters: Record<string, unknown>): boolean {
  return findTooDeep(parameters) !== undefined;
}

/**
 * The error for parameters nested too deeply, naming the member and the parameter. Exported for
 * parameters that arrive by reference (runtime/payloads): they are checked once resolved.
 */
export function tooDeepError(what: string, parameters: Record<string, unknown>, context: Record<string, unknown>): MalformedMessageError | undefined {
  const violation = findTooDeep(parameters);
  if (!violation) return undefined;
  return new MalformedMessageError(
    `${what}: parameter ${quoteText(shorten(violation.parameter, 128))} nests objects and arrays more than ${MAX_PARAMETER_DEPTH} levels deep ` +
      `(at ${shorten(violation.path, 160)}); at most ${MAX_PARAMETER_DEPTH} levels are allowed.`,
    { ...context, problem: MalformedProblem.ParametersTooDeep, parameter: shorten(violation.parameter, 128), maxDepth: MAX_PARAMETER_DEPTH },
  );
}

/** A request that failed the schema: what is wrong, and where to answer if its id and table are well-formed. */
function malformedRequest(json: unknown, issues: z.ZodError): RpcRequestReading {
  const candidate = isRecord(json) ? json : {};
  const returnPath = isRecord(candidate.returnPath) ? candidate.returnPath : {};
  const callId = isCallId(candidate.id) ? candidate.id : undefined;
  const table = isTableName(returnPath.table) ? returnPath.table : undefined;
  const api = isApiName(candidate.api) ? candidate.api : undefined;
  const member = isMemberName(candidate.procedure) ? candidate.procedure : undefined;
  const answerTo = callId !== undefined && table !== undefined ? { callId, table } : undefined;
  const error = new MalformedMessageError(
    `The RPC request${api && member ? ` for ${api}.${member}` : ''} does not follow wire format v1: ${describeIssues(issues)}`,
    {
      problem: MalformedProblem.NotWireFormat,
      answerable: answerTo !== undefined,
      // Today's dispatcher answers when both are set: they are set only when answerable.
      callId: answerTo?.callId,
      resultTable: answerTo?.table,
      api,
      member,
    },
  );
  return { ok: false, error, answerTo };
}

/**
 * Reads an RPC request body. A malformed request comes back with the address to answer it at,
 * but only when its `id` and `returnPath.table` are well-formed (bounds.ts): an id that breaks the
 * rules (e.g. `task#...`, which names another kind of results item, or a lone surrogate) is never
 * written anywhere, and such a message can only be dead-lettered.
 */
export function readRpcRequest(body: string): RpcRequestReading {
  let json: unknown;
  try {
    json = parseJson(body, 'RPC request');
  } catch (error) {
    return { ok: false, error: error as MalformedMessageError, answerTo: undefined };
  }
  let request: RpcRequest;
  if (looksLikeRpcRequest(json)) {
    request = json;
  } else {
    const parsed = wireSchemas().rpcRequest.safeParse(json);
    if (!parsed.success) return malformedRequest(json, parsed.error);
    request = parsed.data as RpcRequest;
  }
  keepWellFormedTrace(request);
  const { api, procedure, id: callId } = request;
  const tooDeep = request.parametersRef !== undefined || !isTooDeep(request.parameters) ? undefined : tooDeepError(`The call to ${api}.${procedure} (${callId})`, request.parameters, {
    answerable: true,
    callId,
    resultTable: request.returnPath.table,
    api,
    member: procedure,
  });
  if (tooDeep) return { ok: false, error: tooDeep, answerTo: { callId, table: request.returnPath.table } };
  return { ok: true, request };
}

/**
 * Parses an RPC request body, throwing a MalformedMessageError whose context carries `callId` and
 * `resultTable` only when the request may be answered (see {@link readRpcRequest}).
 */
export function parseRpcRequest(body: string): RpcRequest {
  const reading = readRpcRequest(body);
  if (!reading.ok) throw reading.error;
  return reading.request;
}

/** Parses what EventBridge delivered to a listener queue and returns the lightbus event inside. */
export function parseEventDelivery(body: string): EventDetail & { eventBridgeId: string } {
  const json = parseJson(body, 'event delivery');
  let envelope: { id: string; 'detail-type': string; source: string; detail: unknown };
  if (looksLikeEnvelope(json)) {
    envelope = json;
  } else {
    const checked = wireSchemas().eventBridgeEnvelope.safeParse(json);
    if (!checked.success) {
      throw new MalformedMessageError(`The message is not an EventBridge event: ${describeIssues(checked.error)}`, {
        problem: MalformedProblem.NotWireFormat,
      });
    }
    envelope = checked.data;
  }
  let detail: EventDetail;
  if (looksLikeEventDetail(envelope.detail)) {
    detail = envelope.detail;
  } else {
    const checked = wireSchemas().eventDetail.safeParse(envelope.detail);
    if (!checked.success) {
      const where = `${quoteText(envelope['detail-type'])} from ${quoteText(envelope.source)}`;
      throw new MalformedMessageError(
        `The event ${where} is not a lightbus v1 event: ${describeIssues(checked.error)}`,
        { problem: MalformedProblem.NotWireFormat },
      );
    }
    detail = checked.data as EventDetail;
  }
  // Rules and IAM (events:source) see only the envelope; listeners route on the detail. They must
  // agree, or a sender allowed to fire one API could deliver another API's event.
  const { api, event } = detail;
  if (envelope.source !== eventSource(api) || envelope['detail-type'] !== eventDetailType(api, event)) {
    throw new MalformedMessageError(
      `The event's envelope (source ${quoteText(envelope.source)}, detail-type ${quoteText(envelope['detail-type'])}) ` +
        `does not match its detail (api ${quoteText(api)}, event ${quoteText(event)}): expected source ` +
        `${quoteText(eventSource(api))} and detail-type ${quoteText(eventDetailType(api, event))}.`,
      { problem: MalformedProblem.EnvelopeMismatch, api, member: event },
    );
  }
  keepWellFormedTrace(detail);
  const tooDeep =
    detail.parametersRef !== undefined || !isTooDeep(detail.parameters)
      ? undefined
      : tooDeepError(`The event ${api}.${event} (${detail.id})`, detail.parameters, { api, member: event, eventId: detail.id });
  if (tooDeep) throw tooDeep;
  // The parsed JSON is ours alone: annotate it rather than copy it (this runs for every event).
  const delivery = detail as EventDetail & { eventBridgeId: string };
  delivery.eventBridgeId = envelope.id;
  return delivery;
}
