/**
 * Lifecycle hooks with stubbed transports: what each hook sees, how a `before*` hook aborts an
 * operation, and that an `after*` hook can never change an outcome.
 */
import { InvalidHookError, lightbus, RemoteError, type AfterRpcCallHookContext, type HookName, type Logger } from '../../runtime';
import { mathApi } from '../support/apis';
import { dispatchBody, eventDeliveryBody, stubTransports } from '../support/stub-transports';

class HookFailure extends Error {
  public override name = 'HookFailure';
}

function recordingLogger(): Logger & { errors: { message: string; fields: Record<string, unknown> }[] } {
  const errors: { message: string; fields: Record<string, unknown> }[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (message, fields = {}) => errors.push({ message, fields: { ...fields } }) };
}

function mathBus(listener: (n: number) => void = () => {}) {
  const logger = recordingLogger();
  const bus = lightbus.create({ busName: 'hooks-unit', serviceName: 'math', apis: [mathApi], logger });
  bus.register(mathApi, {
    add: ({ a, b }) => a + b,
    fail: ({ message }) => {
      throw new Error(message);
    },
    slow: async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    },
  });
  bus.math.happened.listen((_event, { n }) => listener(n), { listenerName: 'counter' });
  return { bus, logger };
}

describe('bus.hooks', () => {
  it('costs nothing until a hook is registered, and on() returns its own removal', () => {
    const { bus } = mathBus();
    expect(bus.hooks.observes('RpcCall')).toBe(false);
    const off = bus.hooks.on('afterRpcCall', () => {});
    expect(bus.hooks.observes('RpcCall')).toBe(true);
    expect(bus.hooks.has('beforeRpcCall')).toBe(false);
    off();
    expect(bus.hooks.observes('RpcCall')).toBe(false);
  });

  it('refuses a name that is not a hook, naming the ones that are', () => {
    const { bus } = mathBus();
    expect(() => bus.hooks.on('before_rpc_call' as HookName, () => {})).toThrow(InvalidHookError);
    expect(() => bus.hooks.on('before_rpc_call' as HookName, () => {})).toThrow(/no hook named "before_rpc_call"; expected one of beforeRpcCall, afterRpcCall/);
    expect(() => bus.hooks.on('beforeRpcCall', 'nope' as never)).toThrow(/expected fn to be a function; got string/);
  });

  it('passes the bus client to every hook, typed as the bus it was registered on', async () => {
    const { bus } = mathBus();
    stubTransports(bus, () => ({ state: 'ok', resultJson: '3' }));
    const seen: unknown[] = [];
    bus.hooks.on('beforeRpcCall', (_context, client) => {
      // Typed: the hook's client has the bus's APIs.
      seen.push(client, typeof client.math.add);
    });
    await bus.math.add({ a: 1, b: 2 });
    expect(seen).toEqual([bus, 'function']);
  });
});

describe('caller-side hooks', () => {
  it('a throwing beforeRpcCall aborts the call before anything is sent; the call rejects with that error', async () => {
    const { bus } = mathBus();
    const stub = stubTransports(bus, () => ({ state: 'ok', resultJson: '3' }));
    const after: AfterRpcCallHookContext[] = [];
    bus.hooks.on('beforeRpcCall', () => {
      throw new HookFailure('not allowed');
    });
    bus.hooks.on('afterRpcCall', (context) => {
      after.push(context);
    });
    await expect(bus.math.add({ a: 1, b: 2 })).rejects.toThrow(new HookFailure('not allowed'));
    expect(stub.sent).toHaveLength(0);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ api: 'math', member: 'add', parameters: { a: 1, b: 2 }, durationMs: 0 });
    expect(after[0]!.outcome).toEqual({ ok: false, error: new HookFailure('not allowed') });
  });

  it('an async beforeRpcCall is awaited, hooks run in registration order, and both see the call id that is sent', async () => {
    const { bus } = mathBus();
    const stub = stubTransports(bus, ({ parameters }) => ({ state: 'ok', resultJson: String(Number(parameters.a) + Number(parameters.b)) }));
    const order: string[] = [];
    const ids: string[] = [];
    bus.hooks.on('beforeRpcCall', async (context) => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('before 1');
      ids.push(context.callId);
      expect(stub.sent).toHaveLength(0);
    });
    bus.hooks.on('beforeRpcCall', () => {
      order.push('before 2');
    });
    bus.hooks.on('afterRpcCall', (context) => {
      order.push('after');
      ids.push(context.callId);
    });
    await expect(bus.math.add({ a: 2, b: 5 })).resolves.toBe(7);
    expect(order).toEqual(['before 1', 'before 2', 'after']);
    const sentId = (JSON.parse(stub.sent[0]!.body) as { id: string }).id;
    expect(ids).toEqual([sentId, sentId]);
  });

  it('afterRpcCall sees the result and a duration, or the remote error', async () => {
    const { bus } = mathBus();
    stubTransports(bus, ({ parameters }) =>
      parameters.a === 0
        ? { state: 'error', error: { name: 'Error', message: 'no zeros', code: undefined } as never }
        : { state: 'ok', resultJson: '4' },
    );
    const after: AfterRpcCallHookContext[] = [];
    bus.hooks.on('afterRpcCall', (context) => {
      after.push(context);
    });
    await bus.math.add({ a: 1, b: 3 });
    await expect(bus.math.add({ a: 0, b: 3 })).rejects.toThrow(RemoteError);
    expect(after.map((c) => c.outcome.ok)).toEqual([true, false]);
    expect(after[0]!.outcome).toEqual({ ok: true, value: 4 });
    expect(after[0]).toMatchObject({ timeoutMs: 5000, parameters: { a: 1, b: 3 } });
    expect(after[1]!.outcome.ok === false && after[1]!.outcome.error).toBeInstanceOf(RemoteError);
    for (const context of after) expect(context.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('an afterRpcCall that throws is logged and changes neither a result nor an error', async () => {
    const { bus, logger } = mathBus();
    stubTransports(bus, ({ parameters }) =>
      parameters.a === 0 ? { state: 'error', error: { name: 'Error', message: 'no zeros' } as never } : { state: 'ok', resultJson: '4' },
    );
    bus.hooks.on('afterRpcCall', async () => {
      throw new HookFailure('metrics are down');
    });
    await expect(bus.math.add({ a: 1, b: 3 })).resolves.toBe(4);
    await expect(bus.math.add({ a: 0, b: 3 })).rejects.toThrow(RemoteError);
    expect(logger.errors).toHaveLength(2);
    expect(logger.errors[0]).toMatchObject({ message: 'The afterRpcCall hook failed; ignored (the outcome stands)', fields: { hook: 'afterRpcCall', api: 'math', member: 'add' } });
  });

  it('a throwing beforeEventSent aborts the fire before anything is published; afterEventSent sees the EventBridge id', async () => {
    const { bus } = mathBus();
    const stub = stubTransports(bus);
    let refuse = true;
    const after: unknown[] = [];
    bus.hooks.on('beforeEventSent', ({ parameters }) => {
      if (refuse) throw new HookFailure(`refused ${String(parameters.n)}`);
    });
    bus.hooks.on('afterEventSent', ({ outcome, eventId }) => {
      after.push({ outcome, eventId });
    });
    await expect(bus.math.happened.fire({ n: 1 })).rejects.toThrow('refused 1');
    expect(stub.published).toHaveLength(0);
    refuse = false;
    const sent = await bus.math.happened.fire({ n: 2 });
    expect(stub.published).toHaveLength(1);
    expect(after).toEqual([
      { outcome: { ok: false, error: new HookFailure('refused 1') }, eventId: expect.any(String) },
      { outcome: { ok: true, value: { eventBridgeId: sent.eventBridgeId } }, eventId: sent.id },
    ]);
  });
});

describe('worker-side hooks (the dispatcher, as the local worker and the Lambda handler run it)', () => {
  /** A call's request body, as a caller bus would send it. */
  async function requestBody(parameters: { a: number; b: number }): Promise<string> {
    const { bus: caller } = mathBus();
    const stub = stubTransports(caller);
    await caller.math.add(parameters).catch(() => undefined);
    return stub.sent[0]!.body;
  }

  it('beforeRpcExecution and afterRpcExecution surround the procedure; the result is written after them', async () => {
    const { bus } = mathBus();
    const stub = stubTransports(bus);
    const seen: string[] = [];
    bus.hooks.on('beforeRpcExecution', (context) => {
      seen.push(`before ${context.api}.${context.member} ${JSON.stringify(context.parameters)} ${stub.completed.length}`);
    });
    bus.hooks.on('afterRpcExecution', (context) => {
      seen.push(`after ${JSON.stringify(context.outcome)} ${typeof context.durationMs} ${stub.completed.length}`);
    });
    const body = await requestBody({ a: 20, b: 22 });
    await expect(dispatchBody(bus, bus.topology().rpcQueues[0]!.queueName, body)).resolves.toEqual({ kind: 'done' });
    expect(seen).toEqual(['before math.add {"a":20,"b":22} 0', 'after {"ok":true,"value":42} number 0']);
    expect(stub.completed).toEqual([{ callId: JSON.parse(body).id, outcome: { ok: true, resultJson: '42' } }]);
  });

  it('a throwing beforeRpcExecution gives the caller an error result and the procedure never runs', async () => {
    const { bus } = mathBus();
    const stub = stubTransports(bus);
    let ran = false;
    bus.hooks.on('beforeRpcExecution', () => {
      throw new HookFailure('not on Sundays');
    });
    bus.hooks.on('afterRpcExecution', ({ outcome }) => {
      ran = outcome.ok;
    });
    const body = await requestBody({ a: 1, b: 1 });
    await expect(dispatchBody(bus, bus.topology().rpcQueues[0]!.queueName, body)).resolves.toEqual({ kind: 'done' });
    expect(ran).toBe(false);
    expect(stub.completed[0]!.outcome).toMatchObject({ ok: false, error: { name: 'HookFailure', message: 'not on Sundays' } });
  });

  it('an afterRpcExecution that throws does not change the result the caller gets', async () => {
    const { bus, logger } = mathBus();
    const stub = stubTransports(bus);
    bus.hooks.on('afterRpcExecution', () => {
      throw new HookFailure('oops');
    });
    await dispatchBody(bus, bus.topology().rpcQueues[0]!.queueName, await requestBody({ a: 1, b: 2 }));
    expect(stub.completed[0]!.outcome).toEqual({ ok: true, resultJson: '3' });
    expect(logger.errors.map((e) => e.fields.hook)).toEqual(['afterRpcExecution']);
  });

  it('beforeEventExecution/afterEventExecution surround the listener; a throwing before hook takes the listener-failure path', async () => {
    const handled: number[] = [];
    const { bus } = mathBus((n) => handled.push(n));
    const stub = stubTransports(bus);
    await bus.math.happened.fire({ n: 1 });
    await bus.math.happened.fire({ n: 13 });
    const after: { n: unknown; ok: boolean; listener: string; receiveCount: number }[] = [];
    bus.hooks.on('beforeEventExecution', ({ parameters }) => {
      if ((parameters as { n: number }).n === 13) throw new HookFailure('unlucky');
    });
    bus.hooks.on('afterEventExecution', (c) => {
      after.push({ n: (c.parameters as { n: number }).n, ok: c.outcome.ok, listener: c.listenerName, receiveCount: c.receiveCount });
    });
    const queue = bus.topology().listeners[0]!.queueName;
    await expect(dispatchBody(bus, queue, eventDeliveryBody(stub.published[0]!))).resolves.toEqual({ kind: 'done' });
    await expect(dispatchBody(bus, queue, eventDeliveryBody(stub.published[1]!))).resolves.toMatchObject({
      kind: 'retry',
      error: new HookFailure('unlucky'),
    });
    expect(handled).toEqual([1]);
    expect(stub.visibility).toHaveLength(1);
    expect(after).toEqual([
      { n: 1, ok: true, listener: 'counter', receiveCount: 1 },
      { n: 13, ok: false, listener: 'counter', receiveCount: 1 },
    ]);
  });

  it('an afterEventExecution that throws does not fail the event', async () => {
    const handled: number[] = [];
    const { bus, logger } = mathBus((n) => handled.push(n));
    const stub = stubTransports(bus);
    await bus.math.happened.fire({ n: 5 });
    bus.hooks.on('afterEventExecution', () => {
      throw new HookFailure('oops');
    });
    await expect(dispatchBody(bus, bus.topology().listeners[0]!.queueName, eventDeliveryBody(stub.published[0]!))).resolves.toEqual({
      kind: 'done',
    });
    expect(handled).toEqual([5]);
    expect(logger.errors).toHaveLength(1);
  });
});
