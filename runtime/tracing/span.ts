import type { Context as OtelContext, Span as OtelSpan, SpanContext, Tracer } from '@opentelemetry/api';
import { activeTraceContext } from './active';
import { newSpanId, newTraceId } from './ids';
import { openTelemetry, type OpenTelemetryApi } from './otel';
import { formatTraceparent, SAMPLED, type TraceContext } from './trace-context';

/** OpenTelemetry's span kinds (the values of its `SpanKind` enum), without importing it. */
export const SpanKind = { Server: 1, Client: 2, Producer: 3, Consumer: 4 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** What a span is, and where it hangs in its trace. */
export interface SpanStart {
  readonly kind: SpanKind;
  /** Its name and attributes: asked for only when OpenTelemetry records spans (it runs per message). */
  describe(): { readonly name: string; readonly attributes: SpanAttributes };
  /**
   * `incoming`: the work a received message starts; its parent is the message's trace context
   * (`remoteParent`), or else a new trace. `outgoing`: a call or fire; its parent is the active
   * OpenTelemetry span, or else the work lightbus is running ({@link activeTraceContext}), or
   * else a new trace.
   */
  readonly direction: 'incoming' | 'outgoing';
  /** The received parent, read only when needed (without OpenTelemetry, when an id is first read). */
  remoteParent?(): TraceContext | undefined;
}

const TRACER_NAME = 'lightbus-aws';
let cachedTracer: { readonly provider: unknown; readonly tracer: Tracer } | undefined;
let noopProvider: unknown;

/**
 * The OpenTelemetry API when spans can go somewhere: installed, and a tracer provider registered.
 * Without a provider every span is a no-op, so lightbus skips the API altogether (its calls cost
 * more per message than the rest of the trace context): the same path as without the package.
 */
function recordingApi(): OpenTelemetryApi | undefined {
  const api = openTelemetry();
  if (api === undefined) return undefined;
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  return provider.getDelegate?.() === noopProvider ? undefined : api;
}

/** The tracer, asked of the global provider once (again if the application replaced it). */
function tracerOf(api: OpenTelemetryApi): Tracer {
  const provider = api.trace.getTracerProvider();
  if (cachedTracer?.provider !== provider) cachedTracer = { provider, tracer: provider.getTracer(TRACER_NAME) };
  return cachedTracer.tracer;
}

function toSpanContext(api: OpenTelemetryApi, context: TraceContext, isRemote: boolean): SpanContext {
  const { traceId, spanId, traceFlags, traceState } = context;
  return traceState === undefined
    ? { traceId, spanId, traceFlags, isRemote }
    : { traceId, spanId, traceFlags, isRemote, traceState: api.createTraceState(traceState) };
}

function fromSpanContext(context: SpanContext): TraceContext {
  const traceState = context.traceState?.serialize();
  const { traceId, spanId, traceFlags } = context;
  return traceState ? { traceId, spanId, traceFlags, traceState } : { traceId, spanId, traceFlags };
}

/** A child of `parent` (a new span id in its trace), or the root of a new trace. */
function childContext(parent: TraceContext | undefined): TraceContext {
  if (parent === undefined) return { traceId: newTraceId(), spanId: newSpanId(), traceFlags: SAMPLED };
  const { traceId, traceFlags, traceState } = parent;
  return traceState === undefined ? { traceId, spanId: newSpanId(), traceFlags } : { traceId, spanId: newSpanId(), traceFlags, traceState };
}

/**
 * A child of `parent` (or the root of a new trace) whose ids are drawn on first read: without
 * OpenTelemetry, work that never reads them (a listener that calls nothing, logs nothing) pays
 * nothing for them. This runs for every message.
 */
class LazyChildContext implements TraceContext {
  private ownTraceId: string | undefined;
  private ownSpanId: string | undefined;
  private parent: TraceContext | undefined;

  /**
   * `parent`: known; or `pending`, the span start whose received parent is read only if an id is
   * (a received traceparent is parsed only then).
   */
  public constructor(parent: TraceContext | undefined, private pending?: SpanStart) {
    this.parent = parent;
  }

  private parentContext(): TraceContext | undefined {
    if (this.pending !== undefined) {
      this.parent = this.pending.remoteParent?.();
      this.pending = undefined;
    }
    return this.parent;
  }

  public get traceId(): string {
    const parent = this.parentContext();
    if (parent !== undefined) return parent.traceId;
    this.ownTraceId ??= newTraceId();
    return this.ownTraceId;
  }

  public get spanId(): string {
    this.ownSpanId ??= newSpanId();
    return this.ownSpanId;
  }

  public get traceFlags(): number {
    const parent = this.parentContext();
    return parent === undefined ? SAMPLED : parent.traceFlags;
  }

  public get traceState(): string | undefined {
    return this.parentContext()?.traceState;
  }
}

/**
 * A span of lightbus's work. With OpenTelemetry it wraps a real span (recorded if the application
 * registered a tracer provider); without, it is only a trace context with its own span id, so the
 * trace still travels on the wire and into log lines.
 */
export class LightbusSpan {
  private traceparentText: string | undefined;
  private failed = false;

  public constructor(
    /**
     * This span's trace context: what goes on the wire as the next hop's parent. Undefined only for
     * {@link UNTRACED}, when the bus carries no trace context.
     */
    public readonly context: TraceContext | undefined,
    private readonly otel?: { readonly api: OpenTelemetryApi; readonly span: OtelSpan; readonly context: OtelContext },
  ) {}

  /** Whether OpenTelemetry has this span (else there is nothing to record or end). */
  public get recorded(): boolean {
    return this.otel !== undefined;
  }

  /** This span's `traceparent` (none without trace context). */
  public get traceparent(): string | undefined {
    if (this.context === undefined) return undefined;
    this.traceparentText ??= formatTraceparent(this.context);
    return this.traceparentText;
  }

  /** This span's `tracestate`, if its trace has one. */
  public get tracestate(): string | undefined {
    return this.context?.traceState;
  }

  /** Records `error` on the span and marks it failed (once; later calls are ignored). */
  public fail(error: unknown): void {
    if (this.failed || this.otel === undefined) return;
    this.failed = true;
    const { api, span } = this.otel;
    const asError = error instanceof Error ? error : new Error(String(error));
    span.recordException(asError);
    span.setAttribute('error.type', asError.name);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: asError.message });
  }

  public end(): void {
    this.otel?.span.end();
  }

  /** Runs `fn` with this span as OpenTelemetry's active span (just runs it without OpenTelemetry). */
  public within<T>(fn: () => T): T {
    return this.otel === undefined ? fn() : this.otel.api.context.with(this.otel.context, fn);
  }

  /** Runs `fn` within this span and ends it when `fn` settles, failed if it rejects. */
  public async settle<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.within(fn);
    } catch (error) {
      this.fail(error);
      throw error;
    } finally {
      this.end();
    }
  }
}

/**
 * The span of work done without trace context (the bus's `traceContext` setting is off): nothing
 * goes on the wire, nothing is recorded, the work runs as it is.
 */
export const UNTRACED = new LightbusSpan(undefined);

/** The OpenTelemetry context a new span starts in (see {@link SpanStart.direction}). */
function parentContext(api: OpenTelemetryApi, start: SpanStart): OtelContext {
  const active = api.context.active();
  const remoteParent = start.remoteParent?.();
  if (remoteParent !== undefined) return api.trace.setSpanContext(api.ROOT_CONTEXT, toSpanContext(api, remoteParent, true));
  if (start.direction === 'incoming') return active;
  const activeSpan = api.trace.getSpan(active);
  if (activeSpan !== undefined && api.trace.isSpanContextValid(activeSpan.spanContext())) return active;
  // No context manager (or the call is outside it): lightbus's own scope knows the work.
  const ours = activeTraceContext();
  return ours === undefined ? active : api.trace.setSpanContext(active, toSpanContext(api, ours, false));
}

/** Starts a span: an OpenTelemetry one when the API is installed, else a bare trace context. */
export function startSpan(start: SpanStart): LightbusSpan {
  const api = recordingApi();
  if (api === undefined) {
    // An outgoing span's parent is the work running now: read at once, not later.
    return new LightbusSpan(start.direction === 'outgoing' ? new LazyChildContext(activeTraceContext()) : new LazyChildContext(undefined, start));
  }
  const parent = parentContext(api, start);
  const { name, attributes } = start.describe();
  const span = tracerOf(api).startSpan(name, { kind: start.kind, attributes }, parent);
  const spanContext = span.spanContext();
  if (span.isRecording()) return new LightbusSpan(fromSpanContext(spanContext), { api, span, context: api.trace.setSpan(parent, span) });
  // Not recorded: the sampler left it out, or the provider is a no-op of another kind (whose
  // tracer may hand back the parent's own ids, or none without a parent). Give the span ids of its own,
  // as without OpenTelemetry, so that each hop on the wire has its own span id, and make them the
  // active span for the application's own spans inside.
  const context = childContext(api.trace.isSpanContextValid(spanContext) ? fromSpanContext(spanContext) : undefined);
  return new LightbusSpan(context, { api, span, context: api.trace.setSpan(parent, api.trace.wrapSpanContext(toSpanContext(api, context, false))) });
}
