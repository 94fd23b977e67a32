import { enterTrace } from './active';
import { eventSpanName, fireAttributes, listenerAttributes, rpcAttributes, rpcSpanName } from './attributes';
import { SpanKind, startSpan, type LightbusSpan, type SpanStart } from './span';
import { parseTraceparent, type TraceContext } from './trace-context';
import { traceContextFromXRay } from './xray';

/** The trace fields a received message carried, as parse.ts left them (well-formed or absent). */
export interface ReceivedTrace {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

// Span starts are classes, not object literals of closures: they are made per message, and
// bundles keep function names (keepNames), which costs a defineProperty per named closure.

/** The caller's span of one RPC call (CLIENT). */
class CallSpanStart implements SpanStart {
  public readonly kind = SpanKind.Client;
  public readonly direction = 'outgoing';
  public constructor(
    private readonly api: string,
    private readonly procedure: string,
    private readonly callId: string,
    private readonly queueName: string,
  ) {}

  public describe() {
    return { name: rpcSpanName(this.api, this.procedure), attributes: rpcAttributes(this.api, this.procedure, this.callId, this.queueName) };
  }
}

/** The span of one fire (PRODUCER). */
class FireSpanStart implements SpanStart {
  public readonly kind = SpanKind.Producer;
  public readonly direction = 'outgoing';
  public constructor(
    private readonly api: string,
    private readonly event: string,
    private readonly eventId: string,
  ) {}

  public describe() {
    return { name: eventSpanName('send', this.api, this.event), attributes: fireAttributes(this.api, this.event, this.eventId) };
  }
}

/** A worker's execution span of one RPC call (SERVER). */
class ExecutionSpanStart implements SpanStart {
  public readonly kind = SpanKind.Server;
  public readonly direction = 'incoming';
  public constructor(
    private readonly call: { readonly api: string; readonly procedure: string; readonly id: string } & ReceivedTrace,
    private readonly queueName: string,
    private readonly awsTraceHeader: string | undefined,
  ) {}

  public remoteParent(): TraceContext | undefined {
    return receivedParent(this.call, this.awsTraceHeader);
  }

  public describe() {
    const { api, procedure, id } = this.call;
    return { name: rpcSpanName(api, procedure), attributes: rpcAttributes(api, procedure, id, this.queueName) };
  }
}

/** A listener's span of one event delivery (CONSUMER, `process`). */
class ListenerSpanStart implements SpanStart {
  public readonly kind = SpanKind.Consumer;
  public readonly direction = 'incoming';
  public constructor(
    private readonly event: { readonly api: string; readonly event: string; readonly id: string } & ReceivedTrace,
    private readonly listenerName: string,
    private readonly receiveCount: number,
    private readonly awsTraceHeader: string | undefined,
  ) {}

  public remoteParent(): TraceContext | undefined {
    return receivedParent(this.event, this.awsTraceHeader);
  }

  public describe() {
    const { api, event, id } = this.event;
    return { name: eventSpanName('process', api, event), attributes: listenerAttributes(api, event, id, this.listenerName, this.receiveCount) };
  }
}

/** The caller's span of one RPC call (CLIENT): its `traceparent` goes into the request. */
export function startCallSpan(api: string, procedure: string, callId: string, queueName: string): LightbusSpan {
  return startSpan(new CallSpanStart(api, procedure, callId, queueName));
}

/** The span of one fire (PRODUCER): its `traceparent` goes into the event's detail. */
export function startFireSpan(api: string, event: string, eventId: string): LightbusSpan {
  return startSpan(new FireSpanStart(api, event, eventId));
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
 * what `failureOf` finds in its value, or with what it threw. Work that finishes without a promise
 * (a listener that returned none) gives its value back as it is: no promise is made for it.
 */
export function runIncoming<T>(span: LightbusSpan, work: () => T | Promise<T>, failureOf: (value: T) => unknown): T | Promise<T> {
  // Not an async function: this runs per message, and each await is a promise more.
  const context = span.context;
  if (context === undefined) return work();
  if (!span.recorded) return enterTrace(context, work);
  let running: T | Promise<T>;
  try {
    running = enterTrace(context, () => span.within(work));
  } catch (error) {
    endFailed(span, error);
    throw error;
  }
  if (!(running instanceof Promise)) return endWith(span, running, failureOf);
  return running.then(
    (value) => endWith(span, value, failureOf),
    (error: unknown) => {
      endFailed(span, error);
      throw error;
    },
  );
}

function endWith<T>(span: LightbusSpan, value: T, failureOf: (value: T) => unknown): T {
  const failure = failureOf(value);
  if (failure !== undefined) span.fail(failure);
  span.end();
  return value;
}

function endFailed(span: LightbusSpan, error: unknown): void {
  span.fail(error);
  span.end();
}

/** A worker's execution span of one RPC call (SERVER), continuing the caller's trace. */
export function startExecutionSpan(
  call: { readonly api: string; readonly procedure: string; readonly id: string } & ReceivedTrace,
  queueName: string,
  awsTraceHeader: string | undefined,
): LightbusSpan {
  return startSpan(new ExecutionSpanStart(call, queueName, awsTraceHeader));
}

/** A listener's span of one event delivery (CONSUMER, `process`), continuing the fire's trace. */
export function startListenerSpan(
  event: { readonly api: string; readonly event: string; readonly id: string } & ReceivedTrace,
  listenerName: string,
  receiveCount: number,
  awsTraceHeader: string | undefined,
): LightbusSpan {
  return startSpan(new ListenerSpanStart(event, listenerName, receiveCount, awsTraceHeader));
}
