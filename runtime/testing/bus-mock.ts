import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { BusClient } from '../client/bus-client';
import { splitMemberName } from '../client/member-name';
import type { CallOptions, FireOptions, ReceivedEvent, RpcContext, SentEvent } from '../client/types';
import { LightbusError, NotAuthoritativeError } from '../errors';
import { castIncoming, parseOrThrow, toWireValue } from '../schema';

/** A canned answer for a mocked procedure: a value, or a function of the parameters. */
export type MockResponse = unknown | ((parameters: Record<string, unknown>) => unknown);

export interface BusMockOptions {
  /**
   * Calls and fires that were not mocked throw, so a test cannot reach AWS by accident.
   * @default true
   */
  readonly strict?: boolean;
}

export interface ExpectedUse {
  /** Exactly this many times. @default at least once */
  readonly times?: number;
  /** At least one call/fire had exactly these parameters (after validation and defaults). */
  readonly with?: Record<string, unknown>;
}

interface Patched {
  readonly callProcedure: BusClient['callProcedure'];
  readonly fireEvent: BusClient['fireEvent'];
}

/**
 * Replaces a bus client's calls and fires with in-memory ones for unit tests: no AWS endpoint
 * needed. Parameters are still validated against the API definitions, so a test catches the same
 * bad calls the real bus would. Also runs the bus's own listeners and procedures in process.
 *
 * @example
 * const mock = mockBus(bus).mockRpc('auth.createUser', { username: 'ada', created: true });
 * await mock.deliver('customers.newCustomer', { customerName: 'Ada', email: 'ada@example.com', initialPassword: 'x'.repeat(8) });
 * mock.assertRpcCalled('auth.createUser', { times: 1 });
 * mock.restore();
 */
export class BusMock {
  private readonly strict: boolean;
  private readonly responses = new Map<string, MockResponse>();
  private readonly allowedEvents = new Set<string>();
  private allowAllEvents = false;
  private readonly callLog = new Map<string, Record<string, unknown>[]>();
  private readonly fireLog = new Map<string, Record<string, unknown>[]>();
  private readonly original: Patched;

  public constructor(
    private readonly bus: BusClient,
    options: BusMockOptions = {},
  ) {
    this.strict = options.strict ?? true;
    this.original = { callProcedure: bus.callProcedure, fireEvent: bus.fireEvent };
    // Own properties shadow the prototype's methods on this instance only; restore() deletes them.
    Object.defineProperty(bus, 'callProcedure', { value: this.call.bind(this), configurable: true, writable: true });
    Object.defineProperty(bus, 'fireEvent', { value: this.fire.bind(this), configurable: true, writable: true });
  }

  /** Answers calls to `api.procedure` with a value or a function of the parameters. */
  public mockRpc(qualifiedName: string, response: MockResponse): this {
    const { api, member } = splitMemberName(qualifiedName);
    this.bus.registry.rpcDefinition(api, member); // fail fast on typos
    this.responses.set(qualifiedName, response);
    return this;
  }

  /** Lets `api.event` (or, without a name, every event) be fired; fires are recorded, not sent. */
  public mockEventFiring(qualifiedName?: string): this {
    if (qualifiedName === undefined) {
      this.allowAllEvents = true;
      return this;
    }
    const { api, member } = splitMemberName(qualifiedName);
    this.bus.registry.eventDefinition(api, member);
    this.allowedEvents.add(qualifiedName);
    return this;
  }

  /** Parameters of each call to a procedure, in order. */
  public calls(qualifiedName: string): readonly Record<string, unknown>[] {
    return this.callLog.get(qualifiedName) ?? [];
  }

  /** Parameters of each fire of an event, in order. */
  public fired(qualifiedName: string): readonly Record<string, unknown>[] {
    return this.fireLog.get(qualifiedName) ?? [];
  }

  public assertRpcCalled(qualifiedName: string, expected: ExpectedUse = {}): void {
    assertUse('RPC', qualifiedName, this.calls(qualifiedName), expected);
  }

  public assertRpcNotCalled(qualifiedName: string): void {
    assertUse('RPC', qualifiedName, this.calls(qualifiedName), { times: 0 });
  }

  public assertEventFired(qualifiedName: string, expected: ExpectedUse = {}): void {
    assertUse('event', qualifiedName, this.fired(qualifiedName), expected);
  }

  public assertEventNotFired(qualifiedName: string): void {
    assertUse('event', qualifiedName, this.fired(qualifiedName), { times: 0 });
  }

  /** Runs this bus's listeners for an event, in process, as the worker would (validation included). */
  public async deliver(qualifiedName: string, parameters: Record<string, unknown> = {}): Promise<number> {
    const { api, member: event } = splitMemberName(qualifiedName);
    const definition = this.bus.registry.eventDefinition(api, event);
    // Through the wire format and back, as a real delivery would be (dates, bytes, ...).
    const wire = castIncoming(definition.parameters, toWireValue(parameters));
    const parsed = parseOrThrow(definition.parameters, wire, { api, member: event, direction: 'incoming', part: 'parameters', what: 'event parameters' });
    const listeners = this.bus.registry.listeners.filter((l) => l.events.some((e) => e.api === api && e.event === event));
    for (const listener of listeners) {
      const received: ReceivedEvent<never> = {
        id: randomUUID(),
        eventBridgeId: randomUUID(),
        api,
        event,
        parameters: parsed as never,
        firedAt: new Date().toISOString(),
        sender: undefined,
        receiveCount: 1,
        listenerName: listener.listenerName,
      };
      await listener.handler(received, parsed as never);
    }
    return listeners.length;
  }

  /** Runs this bus's own implementation of a procedure, in process, with validation both ways. */
  public async serve(qualifiedName: string, parameters: Record<string, unknown> = {}): Promise<unknown> {
    const { api, member: procedure } = splitMemberName(qualifiedName);
    const definition = this.bus.registry.rpcDefinition(api, procedure);
    const fn = this.bus.registry.implementation(api)?.[procedure] as ((p: unknown, c: RpcContext) => unknown) | undefined;
    if (!fn) throw new LightbusError('NOT_REGISTERED', `This bus does not register "${api}", so it cannot serve ${qualifiedName}.`, { api });
    const parsed = parseOrThrow(definition.parameters, castIncoming(definition.parameters, toWireValue(parameters)), { api, member: procedure, direction: 'incoming', part: 'parameters', what: 'parameters' });
    const context: RpcContext = { callId: randomUUID(), api, procedure, deadline: Date.now() + 60_000, sender: undefined };
    const result = await fn(parsed, context);
    return parseOrThrow(definition.response, result, { api, member: procedure, direction: 'outgoing', part: 'response', what: 'result' });
  }

  /** Puts the real calls and fires back. */
  public restore(): void {
    Reflect.deleteProperty(this.bus, 'callProcedure');
    Reflect.deleteProperty(this.bus, 'fireEvent');
  }

  private async call(api: string, procedure: string, parameters: Record<string, unknown> | undefined, _options?: CallOptions): Promise<unknown> {
    const qualified = `${api}.${procedure}`;
    const definition = this.bus.registry.rpcDefinition(api, procedure);
    const checked = parseOrThrow(definition.parameters, parameters ?? {}, { api, member: procedure, direction: 'outgoing', part: 'parameters', what: 'parameters' });
    if (!this.responses.has(qualified)) {
      if (this.strict) {
        throw new LightbusError('UNMOCKED_RPC', `${qualified} was called but not mocked: add mock.mockRpc('${qualified}', result).`, { api, member: procedure });
      }
      return this.original.callProcedure.call(this.bus, api, procedure, parameters, _options);
    }
    const log = this.callLog.get(qualified) ?? [];
    log.push(checked as Record<string, unknown>);
    this.callLog.set(qualified, log);
    const response = this.responses.get(qualified);
    const value = typeof response === 'function' ? await (response as (p: Record<string, unknown>) => unknown)(checked as Record<string, unknown>) : response;
    const wire = castIncoming(definition.response, toWireValue(value));
    return parseOrThrow(definition.response, wire, { api, member: procedure, direction: 'incoming', part: 'response', what: 'mocked result' });
  }

  private async fire(api: string, event: string, parameters: Record<string, unknown> | undefined, options?: FireOptions): Promise<SentEvent> {
    const qualified = `${api}.${event}`;
    const definition = this.bus.registry.eventDefinition(api, event);
    if (!this.bus.registry.isRegistered(api)) throw new NotAuthoritativeError(api, event);
    const checked = parseOrThrow(definition.parameters, parameters ?? {}, { api, member: event, direction: 'outgoing', part: 'parameters', what: 'event parameters' });
    if (!this.allowAllEvents && !this.allowedEvents.has(qualified)) {
      if (this.strict) {
        throw new LightbusError('UNMOCKED_EVENT', `${qualified} was fired but not mocked: add mock.mockEventFiring('${qualified}').`, { api, member: event });
      }
      return this.original.fireEvent.call(this.bus, api, event, parameters, options);
    }
    const log = this.fireLog.get(qualified) ?? [];
    log.push(checked as Record<string, unknown>);
    this.fireLog.set(qualified, log);
    // A mocked fire is "delivered" at once: there is nothing to flush. It reports the delivery the
    // real fire() would (the option, else the bus's fire.delivery), so code that reads it is tested.
    const base = { id: randomUUID(), api, event, parameters: checked as Record<string, unknown>, firedAt: new Date().toISOString() };
    const delivery = options?.delivery ?? this.bus.settings.fire.delivery;
    return delivery === 'buffered' ? { ...base, delivery, eventBridgeId: undefined } : { ...base, delivery, eventBridgeId: 'mocked' };
  }
}

function assertUse(kind: 'RPC' | 'event', name: string, uses: readonly Record<string, unknown>[], expected: ExpectedUse): void {
  const verb = kind === 'RPC' ? 'called' : 'fired';
  const seen = uses.length === 0 ? 'never' : `${uses.length} time(s), with: ${uses.map((u) => JSON.stringify(u)).join(', ')}`;
  if (expected.times !== undefined ? uses.length !== expected.times : uses.length === 0) {
    const wanted = expected.times === undefined ? 'at least once' : `${expected.times} time(s)`;
    throw new Error(`Expected ${kind} ${name} to be ${verb} ${wanted}; it was ${verb} ${seen}.`);
  }
  if (expected.with !== undefined && !uses.some((u) => isDeepStrictEqual(u, expected.with))) {
    throw new Error(`Expected ${kind} ${name} to be ${verb} with ${JSON.stringify(expected.with)}; it was ${verb} ${seen}.`);
  }
}

/** Mocks a bus client's calls and fires for a unit test; call `restore()` afterwards. */
export function mockBus(bus: BusClient, options?: BusMockOptions): BusMock {
  return new BusMock(bus, options);
}
