import { enterTrace } from './active';
import { eventSpanName, fireAttributes, listenerAttributes, rpcAttributes, rpcSpanName } from './attributes';
import { SpanKind, startSpan, type LightbusSpan } from './span';
import { parseTraceparent, type TraceContext } from './trace-context';
import { traceContextFromXRay } from './xray';

/** The trace fields a received message carried, as parse.ts left them (well-formed or absent). */
export interface ReceivedTrace {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** The caller's span of one RPC call (CLIENT): its `traceparent` goes into the request. */
export function startCallSpan(api: string, procedure: string, callId: string, queueName: string): LightbusSpan {
  return startSpan({
    kind: SpanKind.Client,
    direction: 'outgoing',
    describe: () => ({ name: rpcSpanName(api, procedure), attributes: rpcAttributes(api, procedure, callId, queueName) }),
  });
}

/** The span of one fire (PRODUCER): its `traceparent` goes into the event's detail. */
export function startFireSpan(api: string, event: string, eventId: string): LightbusSpan {
  return startSpan({
    kind: SpanKind.Producer,
    direction: 'outgoing',
    describe: () => ({ name: eventSpanName('send', api, event), attributes: fireAttributes(api, event, eventId) }),
  });
}

/**
 * The parent of the work a received message starts: its `traceparent`, else the X-Ray header SQS
 * gave it (`AWSTraceHeader`), else none (a new trace).
 */
export function receivedParent(received: ReceivedTrace, awsTraceHeader: string | undefined): TraceContext | undefined {
  return parseTraceparent(received.traceparent, received.tracestate) ?? traceContextFromXRay(awsTraceHeader);
}

/**
 * Runs the work of a received message in `span`: as the active trace (log lines, calls and fires
 * it makes) and OpenTelemetry's active span; ends the span when the work settles, failed with
 * what `failureOf` finds in its value, or with what it threw.
 */
export function runIncoming<T>(span: LightbusSpan, work: () => Promise<T>, failureOf: (value: T) => unknown): Promise<T> {
  // Not an async function: this runs per message, and each await is a promise more.
  if (!span.recorded) return enterTrace(span.context, work);
  return enterTrace(span.context, () => span.within(work)).then(
    (value) => {
      const failure = failureOf(value);
      if (failure !== undefined) span.fail(failure);
      span.end();
      return value;
    },
    (error: unknown) => {
      span.fail(error);
      span.end();
      throw error;
    },
  );
}

/** A worker's execution span of one RPC call (SERVER), continuing the caller's trace. */
export function startExecutionSpan(
  call: { readonly api: string; readonly procedure: string; readonly id: string } & ReceivedTrace,
  queueName: string,
  awsTraceHeader: string | undefined,
): LightbusSpan {
  return startSpan({
    kind: SpanKind.Server,
    direction: 'incoming',
    remoteParent: () => receivedParent(call, awsTraceHeader),
    describe: () => ({ name: rpcSpanName(call.api, call.procedure), attributes: rpcAttributes(call.api, call.procedure, call.id, queueName) }),
  });
}

/** A listener's span of one event delivery (CONSUMER, `process`), continuing the fire's trace. */
export function startListenerSpan(
  event: { readonly api: string; readonly event: string; readonly id: string } & ReceivedTrace,
  listenerName: string,
  receiveCount: number,
  awsTraceHeader: string | undefined,
): LightbusSpan {
  return startSpan({
    kind: SpanKind.Consumer,
    direction: 'incoming',
    remoteParent: () => receivedParent(event, awsTraceHeader),
    describe: () => ({
      name: eventSpanName('process', event.api, event.event),
      attributes: listenerAttributes(event.api, event.event, event.id, listenerName, receiveCount),
    }),
  });
}
