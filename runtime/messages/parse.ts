import type { z } from 'zod';
import { MalformedMessageError } from '../errors';
import {
  eventDetailType,
  eventSource,
  wireSchemas,
  WIRE_VERSION,
  type EventDetail,
  type RpcRequest,
} from './wire';

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError(`The ${what} is not JSON: ${(error as Error).message}`, { bodyStart: body.slice(0, 120) });
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

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isSender(value: unknown): boolean {
  return (
    value === undefined ||
    (isRecord(value) &&
      (value.service === undefined || typeof value.service === 'string') &&
      (value.process === undefined || typeof value.process === 'string'))
  );
}

function looksLikeRpcRequest(value: unknown): value is RpcRequest {
  return (
    isRecord(value) &&
    value.v === WIRE_VERSION &&
    value.kind === 'lightbus.rpc' &&
    isNonEmptyString(value.id) &&
    isNonEmptyString(value.api) &&
    isNonEmptyString(value.procedure) &&
    isRecord(value.parameters) &&
    Number.isInteger(value.deadline) &&
    (value.deadline as number) > 0 &&
    isRecord(value.returnPath) &&
    isNonEmptyString(value.returnPath.table) &&
    isSender(value.sender)
  );
}

function looksLikeEnvelope(value: unknown): value is { id: string; 'detail-type': string; source: string; detail: unknown } {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value['detail-type'] === 'string' &&
    typeof value.source === 'string' &&
    (value.time === undefined || typeof value.time === 'string')
  );
}

function looksLikeEventDetail(value: unknown): value is EventDetail {
  return (
    isRecord(value) &&
    value.v === WIRE_VERSION &&
    value.kind === 'lightbus.event' &&
    isNonEmptyString(value.id) &&
    isNonEmptyString(value.api) &&
    isNonEmptyString(value.event) &&
    isRecord(value.parameters) &&
    typeof value.firedAt === 'string' &&
    isSender(value.sender)
  );
}

/**
 * Parses an RPC request body. On a shape error it still reports the call id when one can be
 * read, so the worker can answer the caller with an error result instead of leaving it waiting.
 */
export function parseRpcRequest(body: string): RpcRequest {
  const json = parseJson(body, 'RPC request');
  if (looksLikeRpcRequest(json)) return json;
  const parsed = wireSchemas().rpcRequest.safeParse(json);
  if (!parsed.success) {
    const candidate = json as Partial<Record<'id' | 'api' | 'procedure', unknown>> & { returnPath?: { table?: unknown } };
    throw new MalformedMessageError(`The RPC request does not follow wire format v1: ${describeIssues(parsed.error)}`, {
      // Only non-empty strings: DynamoDB refuses empty key and table names.
      callId: typeof candidate?.id === 'string' && candidate.id !== '' ? candidate.id : undefined,
      resultTable:
        typeof candidate?.returnPath?.table === 'string' && candidate.returnPath.table !== '' ? candidate.returnPath.table : undefined,
      api: typeof candidate?.api === 'string' ? candidate.api : undefined,
      member: typeof candidate?.procedure === 'string' ? candidate.procedure : undefined,
    });
  }
  return parsed.data;
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
      throw new MalformedMessageError(`The message is not an EventBridge event: ${describeIssues(checked.error)}`);
    }
    envelope = checked.data;
  }
  let detail: EventDetail;
  if (looksLikeEventDetail(envelope.detail)) {
    detail = envelope.detail;
  } else {
    const checked = wireSchemas().eventDetail.safeParse(envelope.detail);
    if (!checked.success) {
      throw new MalformedMessageError(
        `The event ${envelope['detail-type']} from ${envelope.source} is not a lightbus v1 event: ${describeIssues(checked.error)}`,
      );
    }
    detail = checked.data;
  }
  // Rules and IAM (events:source) see only the envelope; listeners route on the detail. They must
  // agree, or a sender allowed to fire one API could deliver another API's event.
  const { api, event } = detail;
  if (envelope.source !== eventSource(api) || envelope['detail-type'] !== eventDetailType(api, event)) {
    throw new MalformedMessageError(
      `The event's envelope (source ${JSON.stringify(envelope.source)}, detail-type ${JSON.stringify(envelope['detail-type'])}) ` +
        `does not match its detail (api ${JSON.stringify(api)}, event ${JSON.stringify(event)}): expected source ` +
        `${JSON.stringify(eventSource(api))} and detail-type ${JSON.stringify(eventDetailType(api, event))}.`,
      { api, member: event },
    );
  }
  // The parsed JSON is ours alone: annotate it rather than copy it (this runs for every event).
  const delivery = detail as EventDetail & { eventBridgeId: string };
  delivery.eventBridgeId = envelope.id;
  return delivery;
}
