import type { SpanAttributes } from './span';

/**
 * Span names and attributes, after OpenTelemetry's semantic conventions for RPC
 * (`rpc.system`, `rpc.service`, `rpc.method`) and messaging (`messaging.system`,
 * `messaging.destination.name`, `messaging.operation.type`, ...). Values lightbus adds of its
 * own are under `lightbus.`.
 */
export const RPC_SYSTEM = 'lightbus';
export const MESSAGING_SYSTEM = 'lightbus';

/** `<api>/<procedure>`: the RPC conventions' `{rpc.service}/{rpc.method}`. */
export function rpcSpanName(api: string, procedure: string): string {
  return `${api}/${procedure}`;
}

/** The caller's and the worker's span of one call. `queueName`: the API's request queue. */
export function rpcAttributes(api: string, procedure: string, callId: string, queueName: string): SpanAttributes {
  return {
    'rpc.system': RPC_SYSTEM,
    'rpc.service': api,
    'rpc.method': procedure,
    'lightbus.call.id': callId,
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': queueName,
  };
}

/** `send <api>.<event>` / `process <api>.<event>`: the messaging conventions' `{operation} {destination}`. */
export function eventSpanName(operation: 'send' | 'process', api: string, event: string): string {
  return `${operation} ${api}.${event}`;
}

/** The fire span (PRODUCER): `messaging.operation.type` `send`. */
export function fireAttributes(api: string, event: string, eventId: string): SpanAttributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': `${api}.${event}`,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'fire',
    'messaging.message.id': eventId,
  };
}

/** The listener span (CONSUMER): `messaging.operation.type` `process`, the listener as consumer group. */
export function listenerAttributes(api: string, event: string, eventId: string, listenerName: string, receiveCount: number): SpanAttributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': `${api}.${event}`,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'listen',
    'messaging.message.id': eventId,
    'messaging.consumer.group.name': listenerName,
    'lightbus.receive_count': receiveCount,
  };
}
