/**
 * W3C trace context end to end: injected into every RPC request and event by the client, continued
 * by the worker (local and Lambda), written on each RPC result item, and carried into log lines
 * (`traceId`). Spans go to OpenTelemetry when `@opentelemetry/api` is installed (an optional peer);
 * without it the trace context still travels. See docs/operations.md, "Tracing".
 */
export { activeTraceContext, currentTraceId, enterTrace, runInTraceScope, startEachInTraceScope } from './active';
export type { TraceScope } from './active';
export { eventSpanName, fireAttributes, listenerAttributes, MESSAGING_SYSTEM, RPC_SYSTEM, rpcAttributes, rpcSpanName } from './attributes';
export { newSpanId, newTraceId } from './ids';
export { receivedParent, runIncoming, startCallSpan, startExecutionSpan, startFireSpan, startListenerSpan } from './instrument';
export type { ReceivedTrace } from './instrument';
export { openTelemetry, useOpenTelemetry } from './otel';
export type { OpenTelemetryApi } from './otel';
export { LightbusSpan, SpanKind, startSpan, UNTRACED } from './span';
export type { SpanAttributes, SpanStart } from './span';
export { formatTraceparent, parseTraceparent, SAMPLED } from './trace-context';
export type { TraceContext } from './trace-context';
export { traceContextFromXRay, xrayHeaderOf } from './xray';
