import { MalformedMessageError } from '../../runtime';
import { parseEventDelivery, parseRpcRequest, wireSchemas } from '../../runtime/messages';

const request = {
  v: 1,
  kind: 'lightbus.rpc',
  id: 'c1',
  api: 'auth',
  procedure: 'check',
  parameters: { a: 1 },
  deadline: 1_900_000_000_000,
  returnPath: { table: 'b-results' },
  sender: { service: 's' },
};
const detail = {
  v: 1,
  kind: 'lightbus.event',
  id: 'e1',
  api: 'auth',
  event: 'pinged',
  parameters: {},
  firedAt: '2026-01-01T00:00:00.000Z',
};
const envelope = (d: unknown, source = 'lightbus.auth', detailType = 'auth.pinged') =>
  JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': detailType, source, time: 'now', detail: d });

/** Every way to break one field: the fast checks and the zod schema must agree on each. */
const requestMutations: Record<string, unknown>[] = [
  { v: 2 },
  { kind: 'lightbus.event' },
  { id: '' },
  { id: 7 },
  { api: undefined },
  { procedure: '' },
  { parameters: [] },
  { parameters: null },
  { deadline: 1.5 },
  { deadline: -1 },
  { deadline: '1' },
  { returnPath: { table: '' } },
  { returnPath: 'b-results' },
  { sender: { service: 1 } },
  { sender: 'me' },
];
const detailMutations: Record<string, unknown>[] = [
  { v: 0 },
  { kind: 'lightbus.rpc' },
  { id: '' },
  { event: 3 },
  { parameters: 'x' },
  { firedAt: 5 },
  { sender: [] },
];

describe('wire parsing: fast structural checks agree with the zod schemas', () => {
  it('accepts a well-formed request and event', () => {
    expect(parseRpcRequest(JSON.stringify(request))).toMatchObject({ id: 'c1', deadline: 1_900_000_000_000 });
    expect(parseEventDelivery(envelope(detail))).toMatchObject({ id: 'e1', api: 'auth', eventBridgeId: 'eb-1' });
  });

  it.each(requestMutations.map((m) => [JSON.stringify(m), m]))('rejects a request with %s', (_name, mutation) => {
    const broken = { ...request, ...(mutation as object) };
    expect(wireSchemas().rpcRequest.safeParse(broken).success).toBe(false);
    expect(() => parseRpcRequest(JSON.stringify(broken))).toThrow(MalformedMessageError);
    expect(() => parseRpcRequest(JSON.stringify(broken))).toThrow(/does not follow wire format v1: \w/);
  });

  it.each(detailMutations.map((m) => [JSON.stringify(m), m]))('rejects an event detail with %s', (_name, mutation) => {
    const broken = { ...detail, ...(mutation as object) };
    expect(wireSchemas().eventDetail.safeParse(broken).success).toBe(false);
    expect(() => parseEventDelivery(envelope(broken))).toThrow(/is not a lightbus v1 event/);
  });

  it('rejects deliveries that are not EventBridge envelopes, or whose envelope disagrees with the detail', () => {
    expect(() => parseEventDelivery('[]')).toThrow(/not an EventBridge event/);
    expect(() => parseEventDelivery(JSON.stringify({ id: 1, source: 's', 'detail-type': 'd' }))).toThrow(/not an EventBridge event: id/);
    expect(() => parseEventDelivery(envelope(detail, 'lightbus.billing'))).toThrow(/does not match its detail/);
    expect(() => parseEventDelivery('{nope')).toThrow(/The event delivery is not JSON/);
  });

  it('still reports the call id of a malformed request so the caller can be answered', () => {
    const error = (() => {
      try {
        parseRpcRequest(JSON.stringify({ ...request, parameters: 'x' }));
      } catch (e) {
        return e as MalformedMessageError;
      }
      return undefined;
    })();
    expect(error?.context).toMatchObject({ callId: 'c1', resultTable: 'b-results', api: 'auth', member: 'check' });
  });
});
