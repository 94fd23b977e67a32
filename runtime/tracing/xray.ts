import { SAMPLED, type TraceContext } from './trace-context';
import { newSpanId } from './ids';

/** `Root=1-<8 hex epoch>-<24 hex>`: an X-Ray trace id, which is a W3C trace id once its dashes go. */
const XRAY_ROOT = /^1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})$/;
const XRAY_PARENT = /^[0-9a-fA-F]{16}$/;
/** SQS attributes are at most a few hundred characters; anything longer is not an X-Ray header. */
const MAX_HEADER_LENGTH = 512;

/**
 * The trace context in an X-Ray trace header, such as SQS's `AWSTraceHeader` system attribute
 * (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`), or undefined
 * when it has no valid `Root`. `Sampled=1` sets the sampled flag, `Sampled=0` clears it, and a
 * missing or deferred (`?`) decision counts as sampled. A header without `Parent` still gives the
 * trace id; the parent id is then made up, so that the work joins the X-Ray trace in logs.
 */
export function traceContextFromXRay(header: string | undefined): TraceContext | undefined {
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return undefined;
  let root: RegExpExecArray | null = null;
  let parent: string | undefined;
  let sampled: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'Root') root = XRAY_ROOT.exec(value);
    else if (key === 'Parent' && XRAY_PARENT.test(value)) parent = value.toLowerCase();
    else if (key === 'Sampled') sampled = value;
  }
  if (!root) return undefined;
  const traceId = `${root[1]}${root[2]}`.toLowerCase();
  if (/^0+$/.test(traceId)) return undefined;
  const spanId = parent !== undefined && !/^0+$/.test(parent) ? parent : newSpanId();
  return { traceId, spanId, traceFlags: sampled === '0' ? 0 : SAMPLED };
}

/** The X-Ray trace header of a trace context (`Root=1-…;Parent=…;Sampled=…`). */
export function xrayHeaderOf(context: TraceContext): string {
  const { traceId, spanId, traceFlags } = context;
  return `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${spanId};Sampled=${traceFlags & SAMPLED ? 1 : 0}`;
}
