/**
 * runtime/payloads (#12): when a payload leaves its message (at the exact byte boundary of each
 * transport and of payloads.offloadAbove), what a reference may name, and that small messages never
 * touch the payload store. Unit tests: the store is a stub.
 */
import { ConfigurationError } from '../../runtime';
import { resolveBusSettings } from '../../runtime/config';
import { parseEventDelivery, readRpcRequest } from '../../runtime/messages';
import {
  checkContent,
  checkReference,
  certainlyWithin,
  inlineLimit,
  isPayloadKeyOf,
  isPayloadReference,
  parseReferenceText,
  payloadKey,
  payloadKeyPattern,
  PayloadOffloader,
  PayloadUnresolvableError,
  sha256Hex,
  TransportLimit,
  type PayloadReference,
  type PayloadStore,
} from '../../runtime/payloads';
import { payloadBucketName, payloadBucketPrefix } from '../../runtime/topology';
import { putEventsEntrySize } from '../../runtime/transport';

const UUID = '0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44';
const site = { api: 'blob', member: 'stored', kind: 'event', id: UUID } as const;
const ref = (overrides: Partial<PayloadReference> = {}): PayloadReference => ({
  bucket: 'shop-payloads-000000000000-us-east-1',
  key: `blob/event/${UUID}`,
  bytes: 2,
  sha256: sha256Hex('{}'),
  ...overrides,
});

/** A store that records what it was asked to keep, or fails the test if it is touched at all. */
function recordingStore(touchable = true) {
  const puts: { site: unknown; text: string }[] = [];
  const store = {
    put: async (s: { api: string; kind: 'call' | 'result' | 'event' }, text: string) => {
      if (!touchable) throw new Error('the payload store was used for a message under the threshold');
      puts.push({ site: s, text });
      return ref({ key: payloadKey(s.api, s.kind), bytes: Buffer.byteLength(text), sha256: sha256Hex(text) });
    },
  } as unknown as PayloadStore;
  return { store, puts };
}

/** An entry whose size (as EventBridge counts it) is exactly `bytes`, with `unit` repeated in its Detail. */
function entryOfSize(bytes: number, unit = 'x') {
  const names = { Source: 'lightbus.blob', DetailType: 'blob.stored' };
  const room = bytes - putEventsEntrySize({ ...names, Detail: '' });
  const unitBytes = Buffer.byteLength(unit);
  const Detail = unit.repeat(Math.floor(room / unitBytes)) + 'x'.repeat(room % unitBytes);
  const entry = { ...names, Detail };
  expect(putEventsEntrySize(entry)).toBe(bytes);
  return entry;
}

describe('the offload decision at the exact boundary', () => {
  it('keeps an event entry of exactly the EventBridge limit (less envelope headroom) inline, and offloads one byte more', () => {
    const offloader = new PayloadOffloader(() => recordingStore(false).store, undefined);
    expect(TransportLimit.EventBridgeEvent).toBe(256 * 1024 - 1024);
    expect(offloader.eventFits(entryOfSize(TransportLimit.EventBridgeEvent))).toBe(true);
    expect(offloader.eventFits(entryOfSize(TransportLimit.EventBridgeEvent + 1))).toBe(false);
  });

  it('counts UTF-8 bytes, not characters: 3-byte and 4-byte characters at the boundary', () => {
    const offloader = new PayloadOffloader(() => recordingStore(false).store, undefined);
    for (const unit of ['€', '😀']) {
      expect(offloader.eventFits(entryOfSize(TransportLimit.EventBridgeEvent, unit))).toBe(true);
      expect(offloader.eventFits(entryOfSize(TransportLimit.EventBridgeEvent + 1, unit))).toBe(false);
    }
  });

  it('keeps an RPC request of exactly 256 KiB inline, and offloads one byte more', () => {
    const offloader = new PayloadOffloader(() => recordingStore(false).store, undefined);
    expect(offloader.requestFits(256 * 1024)).toBe(true);
    expect(offloader.requestFits(256 * 1024 + 1)).toBe(false);
  });

  it('keeps a result of exactly 380 KiB in the results item, and stores one byte more under <api>/result/<uuid>', async () => {
    const { store, puts } = recordingStore();
    const offloader = new PayloadOffloader(() => store, undefined);
    const atLimit = JSON.stringify('x'.repeat(380 * 1024 - 2));
    expect(Buffer.byteLength(atLimit)).toBe(380 * 1024);
    await expect(offloader.result('blob', 'make', `web.${UUID}`, atLimit)).resolves.toEqual({ resultJson: atLimit });
    expect(puts).toHaveLength(0);
    const over = JSON.stringify('x'.repeat(380 * 1024 - 1));
    const stored = await offloader.result('blob', 'make', `web.${UUID}`, over);
    expect(puts).toEqual([{ site: { api: 'blob', member: 'make', kind: 'result', id: `web.${UUID}` }, text: over }]);
    const reference = JSON.parse((stored as { resultRefJson: string }).resultRefJson) as PayloadReference;
    expect(isPayloadKeyOf(reference.key, 'blob', 'result')).toBe(true);
    expect(reference).toMatchObject({ bytes: Buffer.byteLength(over), sha256: sha256Hex(over) });
  });

  it('honours payloads.offloadAbove exactly, and never raises a transport limit', () => {
    const offloader = new PayloadOffloader(() => recordingStore(false).store, 1000);
    expect(offloader.requestFits(1000)).toBe(true);
    expect(offloader.requestFits(1001)).toBe(false);
    expect(offloader.eventFits(entryOfSize(1000))).toBe(true);
    expect(offloader.eventFits(entryOfSize(1001))).toBe(false);
    expect(inlineLimit(TransportLimit.RpcRequest, 10 * 1024 * 1024)).toBe(TransportLimit.RpcRequest);
  });

  it('skips the byte count when the length alone settles it (3 bytes per UTF-16 unit at most)', () => {
    expect(certainlyWithin(1000, 3000)).toBe(true);
    expect(certainlyWithin(1001, 3000)).toBe(false);
    // The worst case: every unit 3 bytes, at the limit.
    expect(Buffer.byteLength('€'.repeat(1000))).toBe(3000);
  });

  it('replaces parameters with parametersRef in the offloaded message, other fields untouched', async () => {
    const { store, puts } = recordingStore();
    const offloader = new PayloadOffloader(() => store, undefined);
    const request = {
      v: 1 as const, kind: 'lightbus.rpc' as const, id: `web.${UUID}`, api: 'blob', procedure: 'echo',
      parameters: { text: 'hello' }, deadline: 1, returnPath: { table: 'shop-results' },
    };
    const body = JSON.parse(await offloader.offloadRequest(request)) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['v', 'kind', 'id', 'api', 'procedure', 'parametersRef', 'deadline', 'returnPath']);
    expect(puts[0]!.text).toBe('{"text":"hello"}');
    expect(readRpcRequest(JSON.stringify(body))).toMatchObject({ ok: true, request: { parametersRef: body.parametersRef } });
  });
});

describe('payload references', () => {
  it('accepts {bucket, key, bytes, sha256} and refuses anything else', () => {
    expect(isPayloadReference(ref())).toBe(true);
    for (const bad of [
      ref({ bucket: 'Upper-Case' }),
      ref({ bucket: 'ab' }),
      ref({ key: '' }),
      ref({ key: 'k'.repeat(1025) }),
      ref({ bytes: -1 }),
      ref({ bytes: 1.5 }),
      ref({ sha256: 'ABCD' }),
      { ...ref(), sha256: undefined },
      null,
      [ref()],
    ]) {
      expect(isPayloadReference(bad)).toBe(false);
    }
  });

  it('follows only a key of the message\'s own API and kind, in the bus\'s bucket, of a size receivers read', () => {
    const expected = { site, bucket: 'shop-payloads-000000000000-us-east-1' };
    expect(() => checkReference(ref(), expected)).not.toThrow();
    expect(() => checkReference(ref(), { site, bucket: undefined })).not.toThrow();
    const refused = (r: PayloadReference) => {
      try {
        checkReference(r, expected);
      } catch (error) {
        return error as PayloadUnresolvableError;
      }
      throw new Error('accepted');
    };
    const otherApi = refused(ref({ key: `secrets/event/${UUID}` }));
    expect(otherApi).toBeInstanceOf(PayloadUnresolvableError);
    expect(otherApi.message).toMatch(/^blob\.stored \(0f3c2d7e-.*\): the event parameters travel as a reference .* \(foreign-reference\)/);
    expect(otherApi.context).toMatchObject({ api: 'blob', member: 'stored', problem: 'foreign-reference' });
    expect(refused(ref({ key: `blob/result/${UUID}` })).problem).toBe('foreign-reference');
    expect(refused(ref({ key: 'blob/event/../call/x' })).problem).toBe('foreign-reference');
    expect(refused(ref({ key: `blob/event/${UUID.toUpperCase()}` })).problem).toBe('foreign-reference');
    expect(refused(ref({ bucket: 'someone-elses-bucket' })).problem).toBe('foreign-reference');
    expect(refused(ref({ bytes: 64 * 1024 * 1024 + 1 })).problem).toBe('too-large');
  });

  it('checks the bytes read against the size and SHA-256', () => {
    expect(() => checkContent(ref(), Buffer.from('{}'), site)).not.toThrow();
    expect(() => checkContent(ref(), Buffer.from('{ }'), site)).toThrow(/\(checksum-mismatch\): the object has 3 bytes; the reference says 2/);
    expect(() => checkContent(ref(), Buffer.from('[]'), site)).toThrow(/\(checksum-mismatch\): the object's SHA-256 is/);
  });

  it('reads a results item\'s resultRef text, refusing what is not a reference', () => {
    expect(parseReferenceText(JSON.stringify(ref()), site)).toEqual(ref());
    expect(() => parseReferenceText('not json', site)).toThrow(/\(unreadable\)/);
    expect(() => parseReferenceText('{"bucket":"x"}', site)).toThrow(PayloadUnresolvableError);
  });

  it('grants name exactly the keys one API and kind can have', () => {
    const pattern = payloadKeyPattern('blob', 'call');
    expect(pattern).toBe('blob/call/????????-????-????-????-????????????');
    const key = payloadKey('blob', 'call');
    expect(key.length).toBe(pattern.length);
    expect(isPayloadKeyOf(key, 'blob', 'call')).toBe(true);
    expect([...key].every((c, i) => pattern[i] === '?' || pattern[i] === c)).toBe(true);
  });
});

describe('the wire: parametersRef in place of parameters', () => {
  const request = { v: 1, kind: 'lightbus.rpc', id: `web.${UUID}`, api: 'blob', procedure: 'echo', deadline: 1, returnPath: { table: 'shop-results' } };
  it('reads a request with either parameters or parametersRef, and refuses both or neither', () => {
    expect(readRpcRequest(JSON.stringify({ ...request, parameters: {} })).ok).toBe(true);
    expect(readRpcRequest(JSON.stringify({ ...request, parametersRef: ref() })).ok).toBe(true);
    const both = readRpcRequest(JSON.stringify({ ...request, parameters: {}, parametersRef: ref() }));
    expect(both).toMatchObject({ ok: false, answerTo: { callId: `web.${UUID}` } });
    expect(!both.ok && both.error.message).toMatch(/either `parameters` or `parametersRef`/);
    expect(readRpcRequest(JSON.stringify(request)).ok).toBe(false);
    const broken = readRpcRequest(JSON.stringify({ ...request, parametersRef: { ...ref(), sha256: 'x' } }));
    expect(!broken.ok && broken.error.message).toMatch(/parametersRef: must be a payload reference/);
  });

  it('reads an event delivery whose detail carries parametersRef', () => {
    const detail = { v: 1, kind: 'lightbus.event', id: UUID, api: 'blob', event: 'stored', parametersRef: ref(), firedAt: '2026-01-01T00:00:00.000Z' };
    const envelope = { id: 'eb-1', source: 'lightbus.blob', 'detail-type': 'blob.stored', detail };
    expect(parseEventDelivery(JSON.stringify(envelope))).toMatchObject({ parametersRef: ref() });
    expect(() => parseEventDelivery(JSON.stringify({ ...envelope, detail: { ...detail, parameters: {} } }))).toThrow(/either `parameters` or `parametersRef`/);
  });
});

describe('the payload bucket name and the offloadAbove setting', () => {
  it('is <bus>-payloads-<account>-<region>, S3-safe, and distinct for bus names S3 would fold together', () => {
    expect(payloadBucketName('shop', '111111111111', 'eu-west-1')).toBe('shop-payloads-111111111111-eu-west-1');
    expect(payloadBucketPrefix('Shop')).toMatch(/^shop-payloads-[0-9a-f]{8}$/);
    expect(payloadBucketPrefix('a_b')).not.toBe(payloadBucketPrefix('a-b'));
    const longest = payloadBucketName('x'.repeat(40), '111111111111', 'ap-southeast-16');
    expect(longest.length).toBeLessThanOrEqual(63);
    expect(longest).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
  });

  it('takes offloadAbove from create() over the environment, and refuses what is not a whole number of bytes', () => {
    const env = { LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE: '5000' };
    expect(resolveBusSettings({}, env).payloads).toEqual({ offloadAbove: 5000 });
    expect(resolveBusSettings({ payloads: { offloadAbove: 100 } }, env).payloads).toEqual({ offloadAbove: 100 });
    expect(resolveBusSettings({}, {}).payloads).toEqual({});
    expect(() => resolveBusSettings({}, { LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE: '1.5kb' })).toThrow(ConfigurationError);
    expect(() => resolveBusSettings({ payloads: { offloadAbove: 0 } }, {})).toThrow(/payloads\.offloadAbove must be a whole number of bytes, at least 1; got 0/);
  });
});

describe('zero cost below the threshold', () => {
  it('fires small events without building the payload store or an S3 client', async () => {
    const { lightbus } = await import('../../runtime');
    const { mathApi } = await import('../support/apis');
    const bus = lightbus.create({ busName: 'payload-unit', serviceName: 'math', apis: [mathApi], logger: (await import('../../runtime')).silentLogger });
    bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined as never, slow: async () => 'done' });
    const sends: unknown[] = [];
    const send = async (command: { input: { Entries?: unknown[] } }) => {
      sends.push(command);
      return { Entries: (command.input.Entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })), FailedEntryCount: 0 };
    };
    const clients = { eventBridge: { send }, destroy: () => {} };
    Object.defineProperty(bus.transports, 'clients', { value: clients, configurable: true });
    for (let n = 0; n < 20; n += 1) await bus.math.happened.fire({ n, label: 'x'.repeat(50_000) });
    expect(sends).toHaveLength(20);
    expect((bus.transports as unknown as { payloadStore?: unknown }).payloadStore).toBeUndefined();
    expect('s3' in clients).toBe(false);
    await bus.close();
  });
});

describe('the payload bucket in the topology model', () => {
  it('names the bucket prefix and expiry, and lists each role\'s keys per API and kind', async () => {
    const { deriveTopology } = await import('../../runtime/topology');
    const topology = deriveTopology({
      busName: 'shop',
      serviceName: 'auth',
      registeredApis: ['auth'],
      knownApis: ['auth', 'billing', 'customers'],
      listeners: [{ listenerName: 'onCustomer', events: [{ api: 'customers', event: 'newCustomer' }], maxReceives: 5, visibilityTimeoutSeconds: 30 }],
    });
    const k = (api: string, kind: string) => `${api}/${kind}/????????-????-????-????-????????????`;
    expect(topology.payloadBucket).toEqual({
      namePrefix: 'shop-payloads',
      expireAfterDays: 1,
      access: {
        worker: { put: [k('auth', 'event'), k('auth', 'result')], get: [k('auth', 'call'), k('customers', 'event')] },
        caller: { put: [k('billing', 'call'), k('customers', 'call')], get: [k('billing', 'result'), k('customers', 'result')] },
      },
    });
  });
});
