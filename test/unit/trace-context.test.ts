/**
 * W3C trace context on the wire: parsing and formatting `traceparent`, the X-Ray fallback, and
 * that a malformed trace field is dropped by message parsing instead of failing the message
 * (on the fast structural path and on the zod path alike).
 */
import { parseEventDelivery, parseRpcRequest, readRpcRequest, wireSchemas, isTraceparent, TRACEPARENT_PATTERN } from '../../runtime/messages';
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent, traceContextFromXRay, xrayHeaderOf } from '../../runtime/tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

const request = {
  v: 1,
  kind: 'lightbus.rpc',
  id: 'c1',
  api: 'auth',
  procedure: 'check',
  parameters: { a: 1 },
  deadline: 1_900_000_000_000,
  returnPath: { table: 'b-results' },
};
const detail = { v: 1, kind: 'lightbus.event', id: 'e1', api: 'auth', event: 'pinged', parameters: {}, firedAt: '2026-01-01T00:00:00.000Z' };
const envelope = (d: unknown) => JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': 'auth.pinged', source: 'lightbus.auth', time: 'now', detail: d });

const MALFORMED_TRACEPARENTS: unknown[] = [
  '',
  'garbage',
  `01-${TRACE_ID}-${SPAN_ID}-01`, // a version this reader does not know
  `00-${'0'.repeat(32)}-${SPAN_ID}-01`, // all-zero trace id
  `00-${TRACE_ID}-${'0'.repeat(16)}-01`, // all-zero parent id
  `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`, // uppercase
  `00-${TRACE_ID}-${SPAN_ID}-1`,
  `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
  `00-${TRACE_ID}x-${SPAN_ID}-01`.slice(0, 55),
  42,
  null,
  { traceId: TRACE_ID },
  `00-${TRACE_ID}-${SPAN_ID}-0\u0000`,
];

describe('traceparent', () => {
  it('parses a valid header into its parts and formats it back', () => {
    const context = parseTraceparent(VALID, 'vendor=value');
    expect(context).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, traceState: 'vendor=value' });
    expect(formatTraceparent(context!)).toBe(VALID);
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
  });

  it.each(MALFORMED_TRACEPARENTS.map((value) => [JSON.stringify(value), value]))('refuses %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
    expect(isTraceparent(value)).toBe(false);
    expect(typeof value === 'string' && TRACEPARENT_PATTERN.test(value)).toBe(false);
  });

  it('keeps the traceparent but drops a tracestate that is too long or not printable ASCII', () => {
    expect(parseTraceparent(VALID, 'a'.repeat(513))).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(parseTraceparent(VALID, 'k=v\n')).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    expect(parseTraceparent(VALID, 'a'.repeat(512))?.traceState).toHaveLength(512);
  });

  it('makes new ids that are valid, distinct and never all zero', () => {
    const traces = new Set(Array.from({ length: 500 }, () => newTraceId()));
    const spans = new Set(Array.from({ length: 500 }, () => newSpanId()));
    expect(traces.size).toBe(500);
    expect(spans.size).toBe(500);
    for (const traceId of traces) expect(isTraceparent(`00-${traceId}-${SPAN_ID}-01`)).toBe(true);
    for (const spanId of spans) expect(isTraceparent(`00-${TRACE_ID}-${spanId}-01`)).toBe(true);
  });
});

describe('X-Ray trace header (SQS AWSTraceHeader) → trace context', () => {
  it('takes the trace id from Root, the parent from Parent and the sampled flag from Sampled', () => {
    expect(traceContextFromXRay('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
      traceFlags: 1,
    });
    expect(traceContextFromXRay('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0')?.traceFlags).toBe(0);
    // Order and extra keys (Lineage) do not matter; a deferred decision counts as sampled.
    expect(traceContextFromXRay('Sampled=?;Lineage=a:1;Parent=53995C3F42CD8AD8;Root=1-5759E988-BD862E3FE1BE46A994272793')).toEqual({
      traceId: '5759e988bd862e3fe1be46a994272793',
      spanId: '53995c3f42cd8ad8',
      traceFlags: 1,
    });
  });

  it('round-trips through xrayHeaderOf', () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    expect(xrayHeaderOf(traceContextFromXRay(header)!)).toBe(header);
  });

  it('makes up a parent id when the header has none, keeping the trace id', () => {
    const context = traceContextFromXRay('Root=1-5759e988-bd862e3fe1be46a994272793');
    expect(context?.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(context?.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([undefined, '', 'Root=2-5759e988-bd862e3fe1be46a994272793', 'Root=1-5759e988', 'Parent=53995c3f42cd8ad8', `Root=1-00000000-${'0'.repeat(24)}`, 'x'.repeat(600)])(
    'gives nothing for %p',
    (header) => {
      expect(traceContextFromXRay(header)).toBeUndefined();
    },
  );
});

describe('trace fields in messages: malformed ones are dropped, never fatal', () => {
  it('keeps well-formed traceparent and tracestate on a request and an event', () => {
    expect(parseRpcRequest(JSON.stringify({ ...request, traceparent: VALID, tracestate: 'a=b' }))).toMatchObject({ traceparent: VALID, tracestate: 'a=b' });
    expect(parseEventDelivery(envelope({ ...detail, traceparent: VALID, tracestate: 'a=b' }))).toMatchObject({ traceparent: VALID, tracestate: 'a=b' });
  });

  it.each(MALFORMED_TRACEPARENTS.map((value) => [JSON.stringify(value), value]))(
    'a request and an event with traceparent %s are read without it (and without their tracestate)',
    (_name, value) => {
      const parsed = parseRpcRequest(JSON.stringify({ ...request, traceparent: value, tracestate: 'a=b' }));
      expect(parsed).toMatchObject({ id: 'c1', api: 'auth', procedure: 'check' });
      expect(parsed.traceparent).toBeUndefined();
      expect(parsed.tracestate).toBeUndefined();
      const event = parseEventDelivery(envelope({ ...detail, traceparent: value, tracestate: 'a=b' }));
      expect(event).toMatchObject({ id: 'e1', api: 'auth', event: 'pinged' });
      expect(event.traceparent).toBeUndefined();
      expect(event.tracestate).toBeUndefined();
    },
  );

  it('drops a bad tracestate alone', () => {
    const parsed = parseRpcRequest(JSON.stringify({ ...request, traceparent: VALID, tracestate: 'x'.repeat(513) }));
    expect(parsed.traceparent).toBe(VALID);
    expect(parsed.tracestate).toBeUndefined();
    expect(parseEventDelivery(envelope({ ...detail, traceparent: VALID, tracestate: 7 })).tracestate).toBeUndefined();
  });

  it('the zod schemas (the definition of the format) accept a bad trace field too, without it', () => {
    const viaZod = wireSchemas().rpcRequest.safeParse({ ...request, traceparent: 'garbage', tracestate: 'a=b' });
    expect(viaZod.success).toBe(true);
    expect(viaZod.data?.traceparent).toBeUndefined();
    const badEvent = wireSchemas().eventDetail.safeParse({ ...detail, traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` });
    expect(badEvent.success && badEvent.data.traceparent).toBeUndefined();
  });

  it('still refuses a request that is malformed in a field other than the trace fields', () => {
    expect(readRpcRequest(JSON.stringify({ ...request, id: '', traceparent: VALID })).ok).toBe(false);
  });
});
