/**
 * asWireValue: outgoing parameters and results that are JSON already go to JSON.stringify as they
 * are, without the copy toWireValue makes; anything with something to convert is converted as
 * before. And because the value may then be the caller's own object, what is read after an await
 * (offloaded parameters, stored after the before-hooks) is a copy taken at fire() or call().
 */
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { lightbus, silentLogger } from '../../runtime';
import { asWireValue, toWireValue } from '../../runtime/schema';
import { payloadKey, sha256Hex, type PayloadStore } from '../../runtime/payloads';
import { mathApi } from '../support/apis';
import { stubTransports } from '../support/stub-transports';

describe('asWireValue', () => {
  it.each([
    ['a plain object', { n: 1, label: 'x', ok: true, none: null }],
    ['nested objects and arrays', { list: [1, 'two', [3, { four: 4 }]], inner: { deeper: { x: -0.5 } } }],
    ['an object without a prototype', Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })],
    ['an array', [1, 2, { three: 3 }]],
    ['NaN and Infinity (JSON makes them null either way)', { a: NaN, b: Infinity }],
  ])('hands back %s itself, serialising exactly as the copy does', (_, value) => {
    expect(asWireValue(value)).toBe(value);
    expect(JSON.stringify(asWireValue(value))).toBe(JSON.stringify(toWireValue(value)));
  });

  it.each([
    ['a Date inside', { at: new Date(0) }],
    ['an undefined property (which the copy drops)', { a: 1, b: undefined }],
    ['a bigint', { big: 10n }],
    ['bytes', { data: Buffer.from([1, 2]) }],
    ['a Set in an array', [new Set([1])]],
    ['a Map', { m: new Map([['k', 1]]) }],
    ['a class instance', { thing: new (class Point { public x = 1 })() }],
    ['a hole in an array', [1, , 3]],
    ['a function (its toJSON is JSON\'s business)', { toJSON: () => 'custom' }],
  ])('converts a value with %s, as toWireValue does', (_, value) => {
    const wire = asWireValue(value);
    expect(wire).not.toBe(value);
    expect(wire).toEqual(toWireValue(value));
  });

  it('converts an object whose enumerable keys include inherited ones (the copy keeps own keys only)', () => {
    const value = Object.create({ inherited: 1 }) as Record<string, unknown>;
    value.own = 2;
    // Not a plain object: its prototype is not Object.prototype.
    expect(asWireValue(value)).toEqual({ own: 2 });
    const polluted = { own: 2 };
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      expect(asWireValue(polluted)).not.toBe(polluted);
      expect(asWireValue(polluted)).toEqual(toWireValue(polluted));
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('stops looking past 32 levels and converts (same output)', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < 40; level += 1) deep = { next: deep };
    expect(asWireValue(deep)).not.toBe(deep);
    expect(JSON.stringify(asWireValue(deep))).toBe(JSON.stringify(deep));
  });
});

/** A payload store that answers after a turn and records the text it was given. */
function recordingStore() {
  const puts: string[] = [];
  const store = {
    put: async (site: { api: string; kind: 'call' | 'result' | 'event' }, text: string) => {
      puts.push(text);
      return { bucket: 'b', key: payloadKey(site.api, site.kind), bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
    },
  } as unknown as PayloadStore;
  return { store, puts };
}

/** A bus whose payloads all go through the bucket and whose outgoing values are not validated (so not copied by the schema either). */
function offloadingBus() {
  const bus = lightbus.create({
    busName: 'wire-unit',
    serviceName: 'math',
    apis: [mathApi],
    logger: silentLogger,
    payloads: { offloadAbove: 1 },
    apiSettings: { math: { validate: { outgoing: false } } },
  });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined as never, slow: async () => 'done' });
  const { store, puts } = recordingStore();
  Object.defineProperty(bus.transports, 'payloadStore', { value: store, configurable: true, writable: true });
  return { bus, puts };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('offloaded parameters are the ones given to fire() and call()', () => {
  it('an event: the bucket gets them as fired, although the caller changed its object while a beforeEventSent hook ran', async () => {
    const { bus, puts } = offloadingBus();
    const send = async (command: PutEventsCommand) => ({ Entries: (command.input.Entries ?? []).map(() => ({ EventId: 'eb-1' })), FailedEntryCount: 0 });
    Object.defineProperty(bus.transports, 'clients', { value: { eventBridge: { send }, destroy: () => {} }, configurable: true });
    bus.hooks.on('beforeEventSent', nextTurn);
    const parameters = { n: 1, label: 'as fired' };
    const fired = bus.math.happened.fire(parameters);
    parameters.label = 'changed afterwards';
    await fired;
    expect(puts.map((text) => JSON.parse(text) as unknown)).toEqual([{ n: 1, label: 'as fired' }]);
    await bus.close();
  });

  it('an RPC call: the bucket gets them as called, although the caller changed its object while a beforeRpcCall hook ran', async () => {
    const { bus, puts } = offloadingBus();
    stubTransports(bus, () => ({ state: 'ok', resultJson: '3' }));
    bus.hooks.on('beforeRpcCall', nextTurn);
    const parameters = { a: 1, b: 2 };
    const called = bus.math.add(parameters);
    parameters.a = 100;
    await expect(called).resolves.toBe(3);
    expect(puts.map((text) => JSON.parse(text) as unknown)).toEqual([{ a: 1, b: 2 }]);
    await bus.close();
  });
});
