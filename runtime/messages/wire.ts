// A namespace import: bundlers keep the zod code used. `import { z }` keeps all of zod, its locales too (~360 kB).
import * as z from 'zod';
import {
  API_NAME_RULE,
  CALL_ID_PATTERN,
  ID_RULE,
  isApiName,
  isBoundedText,
  isMemberName,
  isTraceparent,
  isTracestate,
  isWellFormed,
  MAX_DETAIL_TYPE_LENGTH,
  MAX_ID_LENGTH,
  MAX_SOURCE_LENGTH,
  MEMBER_NAME_RULE,
  TABLE_NAME_PATTERN,
  TABLE_NAME_RULE,
  TEXT_RULE,
} from './bounds';
import { isPayloadReference, type PayloadReference } from '../payloads/reference';

/**
 * The wire format, version 1. Documented field by field in docs/wire-format.md; a change here is
 * a protocol change and must bump `WIRE_VERSION`.
 */
export const WIRE_VERSION = 1;

/**
 * The zod schemas of the wire format: the definition of every message's shape. Built on first
 * use (building zod schemas costs milliseconds of every Lambda cold start), and used only to say
 * what is wrong with a message: well-formed messages pass fast structural checks (parse.ts).
 */
function buildWireSchemas() {
  // Names and ids follow bounds.ts; `parameters` is further bounded in depth (MAX_PARAMETER_DEPTH),
  // which parse.ts checks after the shape (an iterative walk: a schema refinement would recurse).
  const id = z.string().regex(CALL_ID_PATTERN, { error: `must be ${ID_RULE}` });
  const apiName = z.string().refine(isApiName, { error: `must be an API name: ${API_NAME_RULE}` });
  const memberName = z.string().refine(isMemberName, { error: `must be ${MEMBER_NAME_RULE}, and not a reserved name` });
  const text = z.string().refine((value) => isBoundedText(value), { error: `must be ${TEXT_RULE}` });
  /** A payload too large for its message: `{bucket, key, bytes, sha256}` (runtime/payloads). */
  const payloadReference = z.custom<PayloadReference>(isPayloadReference, {
    error: 'must be a payload reference {bucket, key, bytes, sha256} (docs/wire-format.md, "Large payloads")',
  });
  /** Who sent a message; informational (logs, inspection), never trusted for authorisation. */
  const sender = z.object({ service: text.optional(), process: text.optional() });
  // W3C trace context. A malformed value never fails a message: `.catch` drops it (parse.ts also
  // drops a tracestate whose traceparent is gone), and the worker starts a new trace.
  const traceparent = z.string().refine(isTraceparent).optional().catch(undefined);
  const tracestate = z.string().refine(isTracestate).optional().catch(undefined);
  return {
    sender,
    /** Body of an SQS message on an API's request queue. */
    rpcRequest: z.object({
      v: z.literal(WIRE_VERSION),
      kind: z.literal('lightbus.rpc'),
      id,
      api: apiName,
      procedure: memberName,
      /** Absent when `parametersRef` is set: the parameters then wait in the payload bucket. */
      parameters: z.record(z.string(), z.unknown()).optional(),
      parametersRef: payloadReference.optional(),
      /** Epoch milliseconds after which the call must not run. */
      deadline: z.number().int().positive(),
      /** Where the worker writes the result: a DynamoDB table keyed by `pk` = call id. */
      returnPath: z.object({ table: z.string().regex(TABLE_NAME_PATTERN, { error: `must be ${TABLE_NAME_RULE}` }) }),
      sender: sender.optional(),
      /** W3C trace context of the caller's call span (optional; dropped if malformed). */
      traceparent,
      tracestate,
    }).refine(exactlyOneParameters, { error: EXACTLY_ONE_PARAMETERS, path: ['parameters'] }),
    /** An error as it travels back to the caller. */
    wireError: z.object({
      name: z.string(),
      message: z.string(),
      stack: z.string().optional(),
      code: z.string().optional(),
    }),
    /** `detail` of the EventBridge entry for an event. */
    eventDetail: z.object({
      v: z.literal(WIRE_VERSION),
      kind: z.literal('lightbus.event'),
      id,
      api: apiName,
      event: memberName,
      parameters: z.record(z.string(), z.unknown()).optional(),
      parametersRef: payloadReference.optional(),
      firedAt: text,
      sender: sender.optional(),
      /** W3C trace context of the fire span (optional; dropped if malformed). */
      traceparent,
      tracestate,
    }).refine(exactlyOneParameters, { error: EXACTLY_ONE_PARAMETERS, path: ['parameters'] }),
    /** What EventBridge puts on a listener's queue: its standard envelope around our detail. */
    eventBridgeEnvelope: z.object({
      id: z.string().max(MAX_ID_LENGTH).refine(isWellFormed, { error: 'must be well-formed text' }),
      'detail-type': z.string().max(MAX_DETAIL_TYPE_LENGTH).refine(isWellFormed, { error: 'must be well-formed text' }),
      source: z.string().max(MAX_SOURCE_LENGTH).refine(isWellFormed, { error: 'must be well-formed text' }),
      time: text.optional(),
      detail: z.unknown(),
    }),
  };
}

const EXACTLY_ONE_PARAMETERS = 'must hold either `parameters` or `parametersRef`, not both and not neither';

function exactlyOneParameters(message: { parameters?: unknown; parametersRef?: unknown }): boolean {
  return (message.parameters === undefined) !== (message.parametersRef === undefined);
}

export type WireSchemas = ReturnType<typeof buildWireSchemas>;
let wireSchemasInstance: WireSchemas | undefined;

export function wireSchemas(): WireSchemas {
  wireSchemasInstance ??= buildWireSchemas();
  return wireSchemasInstance;
}

export type Sender = z.infer<WireSchemas['sender']>;
/**
 * A message's parameters: inline, or, for a payload too large for its transport, `parametersRef`
 * in their place. A parsed message with a reference has no `parameters` until a receiver resolves
 * it (runtime/payloads), which the dispatcher does before anything reads them.
 */
interface ParametersPart {
  parameters: Record<string, unknown>;
  parametersRef?: PayloadReference;
}
export type RpcRequest = Omit<z.infer<WireSchemas['rpcRequest']>, 'parameters' | 'parametersRef'> & ParametersPart;
export type WireError = z.infer<WireSchemas['wireError']>;
export type EventDetail = Omit<z.infer<WireSchemas['eventDetail']>, 'parameters' | 'parametersRef'> & ParametersPart;

/** The W3C trace context fields a request, a result item and an event detail may carry. */
export interface WireTrace {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** EventBridge `Source` for an API's events: lets IAM restrict who fires which API (events:source). */
export function eventSource(api: string): string {
  return `lightbus.${api}`;
}

/** EventBridge `DetailType` for an event. */
export function eventDetailType(api: string, event: string): string {
  return `${api}.${event}`;
}

/** States of a call's item in the results table. */
export const ResultState = {
  /** A worker has taken the call and is running it. */
  Claimed: 'claimed',
  /** The procedure returned; `result` holds its JSON. */
  Ok: 'ok',
  /** The procedure (or validation) failed; `error` holds the error's JSON. */
  Error: 'error',
} as const;
export type ResultState = (typeof ResultState)[keyof typeof ResultState];

/** Attribute names of the results table. */
export const ResultAttributes = {
  PartitionKey: 'pk',
  State: 'state',
  Result: 'result',
  Error: 'error',
  ExpiresAt: 'expiresAt',
  ClaimedBy: 'claimedBy',
  ClaimedAt: 'claimedAt',
  /** A random token per claim attempt: lets a retried claim recognise the item its own first try wrote. */
  ClaimToken: 'claimToken',
  CompletedAt: 'completedAt',
  Api: 'api',
  Procedure: 'procedure',
  /** On a claim: the call's parameters as JSON, when at most MAX_CLAIM_PARAMETERS_BYTES (for observers such as the dashboard). */
  Parameters: 'parameters',
  /** W3C trace context of the worker's execution span (string attributes; absent for calls that were never run). */
  Traceparent: 'traceparent',
  Tracestate: 'tracestate',
  /** Instead of `result`, for a result too large for the item: a payload reference as JSON text (runtime/payloads). */
  ResultRef: 'resultRef',
} as const;

/** SQS message attributes that lightbus sets on a message it moves to a dead-letter queue. */
export const DeadLetterAttributes = {
  Reason: 'lightbus.reason',
  ErrorName: 'lightbus.error.name',
  ErrorMessage: 'lightbus.error.message',
  SourceQueue: 'lightbus.source-queue',
  ReceiveCount: 'lightbus.receive-count',
} as const;
