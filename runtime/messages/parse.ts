import type { z } from 'zod';
import { MalformedMessageError } from '../errors';
import {
  EventBridgeEnvelopeSchema,
  EventDetailSchema,
  eventDetailType,
  eventSource,
  RpcRequestSchema,
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

/**
 * Parses an RPC request body. On a shape error it still reports the call id when one can be
 * read, so the worker can answer the caller with an error result instead of leaving it waiting.
 */
export function parseRpcRequest(body: string): RpcRequest {
  const json = parseJson(body, 'RPC request');
  const parsed = RpcRequestSchema.safeParse(json);
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
  const envelope = EventBridgeEnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new MalformedMessageError(`The message is not an EventBridge event: ${describeIssues(envelope.error)}`);
  }
  const detail = EventDetailSchema.safeParse(envelope.data.detail);
  if (!detail.success) {
    throw new MalformedMessageError(
      `The event ${envelope.data['detail-type']} from ${envelope.data.source} is not a lightbus v1 event: ${describeIssues(detail.error)}`,
    );
  }
  // Rules and IAM (events:source) see only the envelope; listeners route on the detail. They must
  // agree, or a sender allowed to fire one API could deliver another API's event.
  const { api, event } = detail.data;
  if (envelope.data.source !== eventSource(api) || envelope.data['detail-type'] !== eventDetailType(api, event)) {
    throw new MalformedMessageError(
      `The event's envelope (source ${JSON.stringify(envelope.data.source)}, detail-type ${JSON.stringify(envelope.data['detail-type'])}) ` +
        `does not match its detail (api ${JSON.stringify(api)}, event ${JSON.stringify(event)}): expected source ` +
        `${JSON.stringify(eventSource(api))} and detail-type ${JSON.stringify(eventDetailType(api, event))}.`,
      { api, member: event },
    );
  }
  return { ...detail.data, eventBridgeId: envelope.data.id };
}
