/**
 * The tracing setups the bench compares in one run (the cost of trace context, issue #13):
 *  - `absent`: as if `@opentelemetry/api` were not installed — lightbus still makes ids and
 *    carries trace context on the wire, in its AsyncLocalStorage scope and in log lines;
 *  - `noop`: the API installed, no tracer provider registered (its no-op default);
 *  - `recording`: a BasicTracerProvider with an in-memory exporter and the async-hooks context
 *    manager: every span recorded (the most a process pays; a real exporter adds its own I/O).
 * The bench fixture reads BENCH_TRACING, so a worker child runs the same setup as its caller.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { useOpenTelemetry } from '../../runtime/tracing';

export const TRACING_MODES = ['absent', 'noop', 'recording'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

export function isTracingMode(value: unknown): value is TracingMode {
  return typeof value === 'string' && (TRACING_MODES as readonly string[]).includes(value);
}

/** Sets `mode` up in this process; the returned function undoes it (back to the default lookup). */
export function applyTracingMode(mode: TracingMode): () => void {
  if (mode === 'absent') {
    useOpenTelemetry(false);
    return () => useOpenTelemetry('auto');
  }
  useOpenTelemetry('auto');
  if (mode === 'noop') return () => undefined;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
  // Keep the exporter from growing without bound over a long run.
  const trim = setInterval(() => exporter.reset(), 1000);
  trim.unref();
  return () => {
    clearInterval(trim);
    void provider.shutdown();
    contextManager.disable();
    trace.disable();
    context.disable();
  };
}
