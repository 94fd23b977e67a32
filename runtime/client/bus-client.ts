import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { AnyApiDefinition } from '../api/types';
import {
  FIRE_DELIVERY_MODES,
  resolveBusSettings,
  settingsForApi,
  type ApiSettings,
  type BusSettings,
  type BusSettingsInput,
  type FireDelivery,
} from '../config';
import {
  ConfigurationError,
  LightbusError,
  MessageTooLargeError,
  NotAuthoritativeError,
  RemoteError,
  RpcTimeoutError,
  UndeliveredEventsError,
  type UndeliveredEvent,
} from '../errors';
import { HookRegistry } from '../hooks';
import { createLogger, type Logger } from '../logging';
import {
  eventDetailType,
  eventSource,
  ResultState,
  WIRE_VERSION,
  type EventDetail,
  type RpcRequest,
  type Sender,
} from '../messages/wire';
import { BusSchemas, castIncoming, jsonSchemaValidators, parseOrThrow, SchemaStore, toWireValue, type ApiSchema } from '../schema';
import { deriveTopology, type Topology } from '../topology';
import { MAX_SQS_MESSAGE_BYTES, ResultWaitTimeout, type BufferedPublishContext, type DeliveryListener, type OriginWatch } from '../transport';
import { rpcQueueName } from '../topology';
import { defineTask, type EveryInterval, type TaskHandler, type TaskOptions } from '../tasks';
import { Registry } from './registry';
import { BusTransports } from './transports';
import type { CallOptions, EventReference, FireOptions, ListenerHandler, ListenOptions, SentEvent } from './types';

/**
 * What is running when an event is fired with buffered delivery (the Lambda SQS handler: the
 * record's message id), so a failed flush can be traced to the work that fired it. Only entered
 * by {@link BusClient.withFireOrigin}: a process that never calls it pays nothing for it.
 */
const fireOrigins = new AsyncLocalStorage<string>();

/** An event ready to go: validated, serialised, not yet handed to the publisher. */
interface PreparedEvent {
  readonly api: string;
  readonly event: string;
  readonly checked: Record<string, unknown>;
  readonly detail: EventDetail;
  readonly entry: { readonly Source: string; readonly DetailType: string; readonly Detail: string };
  readonly timeoutMs: number;
}

/** Options of `lightbus.create()`. */
export interface CreateOptions<Apis extends readonly AnyApiDefinition[] = readonly AnyApiDefinition[]> extends BusSettingsInput {
  /** Definitions of the APIs this bus talks to (calls, fires, listens to); typed on the client. */
  readonly apis?: Apis;
  /** @default a structured logger on stderr */
  readonly logger?: Logger;
}

/** Splits `'support.case.open'` into API `support.case` and member `open`. */
export function splitMemberName(qualified: string): { api: string; member: string } {
  const dot = qualified.lastIndexOf('.');
  if (dot <= 0 || dot === qualified.length - 1) {
    throw new LightbusError('INVALID_NAME', `Expected "api.member" (e.g. "auth.checkPassword"); got ${JSON.stringify(qualified)}.`);
  }
  return { api: qualified.slice(0, dot), member: qualified.slice(dot + 1) };
}

/**
 * The bus client, untyped core. `lightbus.create()` returns one of these with each known API
 * attached at its dotted path (`bus.auth.checkPassword(...)`), typed from the definitions.
 */
export class BusClient {
  public readonly settings: BusSettings;
  public readonly logger: Logger;
  /** @internal used by the dispatcher and the worker */
  public readonly registry = new Registry();
  /** @internal */
  public readonly transports: BusTransports;
  /** Schemas of APIs this bus has no definition of: loaded from a dump, or published on the bus. */
  public readonly schemas: BusSchemas;
  private schemaStoreInstance: SchemaStore | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly hookRegistry: HookRegistry<this>;

  public constructor(options: CreateOptions = {}) {
    this.settings = resolveBusSettings(options);
    this.logger =
      options.logger ??
      createLogger({ level: this.settings.logLevel, base: this.settings.serviceName ? { service: this.settings.serviceName } : {} });
    for (const api of options.apis ?? []) this.registry.addDefinition(api);
    this.transports = new BusTransports(this.settings, { onUndelivered: (event) => this.logUndelivered(event) });
    this.schemas = new BusSchemas({ store: () => this.schemaStore, logger: this.logger });
    this.hookRegistry = new HookRegistry<this>(this, this.logger);
  }

  /**
   * Lifecycle hooks: `bus.hooks.on('afterRpcCall', (context, bus) => ...)` (docs/hooks-and-metrics.md).
   * A getter on the prototype, so an API cannot be named `hooks`.
   */
  public get hooks(): HookRegistry<this> {
    return this.hookRegistry;
  }

  /** @internal the bus's schema items in its results table */
  public get schemaStore(): SchemaStore {
    this.schemaStoreInstance ??= new SchemaStore(this.transports.clients, this.transports.location.resultsTable);
    return this.schemaStoreInstance;
  }

  /** Who this process is, as written into the messages it sends. */
  public get sender(): Sender {
    // Settings never change after create(): build the sender once.
    this.senderValue ??= {
      ...(this.settings.serviceName !== undefined ? { service: this.settings.serviceName } : {}),
      process: this.settings.processName,
    };
    return this.senderValue;
  }
  private senderValue: Sender | undefined;

  public apiSettings(api: string): ApiSettings {
    return settingsForApi(this.settings, api);
  }

  /**
   * Makes this service authoritative for an API: the worker serves its procedures and this bus
   * may fire its events.
   */
  public registerApi(api: AnyApiDefinition, implementation: Readonly<Record<string, unknown>>): void {
    this.registry.register(api, implementation);
  }

  /**
   * Calls a procedure by name: `bus.call('auth.checkPassword', { username, password })`.
   * Parameters are validated against the definition before anything is sent.
   */
  public async call(qualifiedName: string, parameters: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const { api, member: procedure } = splitMemberName(qualifiedName);
    return this.callProcedure(api, procedure, parameters, options);
  }

  /** @internal the typed facade calls this directly, without splitting names. */
  public async callProcedure(
    api: string,
    procedure: string,
    parameters: Record<string, unknown> | undefined,
    options: CallOptions = {},
  ): Promise<unknown> {
    this.assertOpen();
    // Local definitions are the source of truth; without one, the API's published schema (if any).
    const definition = this.registry.findDefinition(api) ? this.registry.rpcDefinition(api, procedure) : undefined;
    const apiSettings = this.apiSettings(api);
    const timeoutMs = options.timeoutMs ?? apiSettings.rpcTimeoutMs;
    if (!(timeoutMs > 0)) {
      throw new LightbusError('INVALID_OPTION', `${api}.${procedure}: timeoutMs must be a positive number; got ${timeoutMs}.`, {
        api,
        member: procedure,
      });
    }
    const validating = apiSettings.validate.outgoing || apiSettings.validate.incoming;
    const remote =
      definition === undefined && validating
        ? await this.schemas.forUndefinedApi(api, apiSettings.strictValidation, this.registry.knownApis)
        : undefined;
    const checked =
      definition && apiSettings.validate.outgoing
        ? parseOrThrow(definition.parameters, parameters ?? {}, {
            api,
            member: procedure,
            direction: 'outgoing',
            part: 'parameters',
            what: 'parameters',
          })
        : (parameters ?? {});
    const wireParameters = toWireValue(checked) as Record<string, unknown>;
    if (remote) jsonSchemaValidators.memberSchema(remote, 'rpc', procedure, 'parameters');
    // A loaded dump (run --schema) also checks calls to APIs other services own.
    const pinned = definition && !this.registry.isRegistered(api) ? this.schemas.pinned(api) : undefined;
    this.checkAgainstSchema(remote ?? pinned, 'rpc', procedure, wireParameters, {
      api,
      member: procedure,
      direction: 'outgoing',
      part: 'parameters',
      what: 'parameters',
    });
    const callId = randomUUID();
    const deadline = Date.now() + timeoutMs;
    const table = this.transports.location.resultsTable;
    const request: RpcRequest = {
      v: WIRE_VERSION,
      kind: 'lightbus.rpc',
      id: callId,
      api,
      procedure,
      parameters: wireParameters,
      deadline,
      returnPath: { table },
      sender: this.sender,
    };
    const body = JSON.stringify(request);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_SQS_MESSAGE_BYTES) {
      throw new MessageTooLargeError(api, procedure, size, MAX_SQS_MESSAGE_BYTES, 'RPC request');
    }
    const send = async (): Promise<unknown> => {
      await this.transports.queues.send(rpcQueueName(this.settings.busName, api), body, undefined, options.signal);
      const result = await this.waitForResult(table, callId, deadline, options.signal).catch((error: unknown) => {
        if (error instanceof ResultWaitTimeout) throw new RpcTimeoutError(api, procedure, timeoutMs, callId, error.lastReadError);
        throw error;
      });
      if (result.state === ResultState.Error) throw new RemoteError(api, procedure, callId, result.error);
      const value: unknown = JSON.parse(result.resultJson);
      const context = { api, member: procedure, direction: 'incoming', part: 'response', what: 'result' } as const;
      if (!definition) {
        if (remote && apiSettings.validate.incoming) jsonSchemaValidators.check(remote, 'rpc', procedure, value, context);
        return value;
      }
      const cast = apiSettings.castValues ? castIncoming(definition.response, value) : value;
      if (!apiSettings.validate.incoming) return cast;
      return parseOrThrow(definition.response, cast, context);
    };
    if (!this.hookRegistry.observes('RpcCall')) return send();
    const hookContext = { api, member: procedure, callId, parameters: checked, timeoutMs };
    return this.hookRegistry.around('RpcCall', hookContext, send, (value) => value);
  }

  /**
   * Checks an outgoing wire value against a JSON Schema: the published schema of an API without a
   * local definition, or a loaded dump's (`run --schema`) on top of the local definition.
   */
  private checkAgainstSchema(
    schema: ApiSchema | undefined,
    kind: 'rpc',
    member: string,
    value: unknown,
    context: Parameters<typeof parseOrThrow>[2],
  ): void {
    if (!schema || !this.apiSettings(context.api).validate.outgoing) return;
    jsonSchemaValidators.check(schema, kind, member, value, context);
  }

  private waitForResult(table: string, callId: string, deadline: number, signal: AbortSignal | undefined) {
    const wait = this.transports.poller.wait(table, callId, deadline);
    if (!signal) return wait;
    return new Promise<Awaited<typeof wait>>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Fires an event by name: `bus.fire('customers.newCustomer', { ... })`. */
  public async fire(qualifiedName: string, parameters: Record<string, unknown> = {}, options?: FireOptions): Promise<SentEvent> {
    const { api, member: event } = splitMemberName(qualifiedName);
    return this.fireEvent(api, event, parameters, options);
  }

  /**
   * @internal Validates and serialises the event, then hands it to EventBridge: with confirmed
   * delivery resolves once EventBridge accepted it, with buffered delivery once it is queued.
   * Invalid input throws here, in both modes.
   */
  public async fireEvent(api: string, event: string, parameters: Record<string, unknown> | undefined, options?: FireOptions): Promise<SentEvent> {
    const delivery = this.deliveryFor(api, event, options);
    const prepared = this.prepareEvent(api, event, parameters);
    const { detail, checked } = prepared;
    // Literals, not a shared spread: fire() is hot.
    if (delivery === 'buffered') {
      await this.sendBuffered(prepared);
      return { id: detail.id, eventBridgeId: undefined, delivery, api, event, parameters: checked, firedAt: detail.firedAt };
    }
    const eventBridgeId = await this.sendConfirmed(prepared);
    return { id: detail.id, eventBridgeId, delivery, api, event, parameters: checked, firedAt: detail.firedAt };
  }

  /**
   * Resolves once every event fired so far with buffered delivery has been accepted by EventBridge.
   * Rejects with {@link UndeliveredEventsError}, listing each event that could not be delivered
   * (after the per-entry retries, or at its eventFireTimeout), once all of them have settled; each
   * failed event is reported by one flush() only. Events fired with confirmed delivery are not
   * waited for: their own fire() reports them.
   *
   * It covers the fires that were queued when it was called: every buffered fire() called before
   * it, except those whose `beforeEventSent` hooks were still running (the event is queued only
   * after them; await such a fire() first). Only `fire.maxBuffered` failures are kept between
   * flushes; the error counts the rest (`notRetained`), which were logged as they failed.
   */
  public async flush(): Promise<void> {
    if (!this.transports.hasPublisher) return;
    const { events, notRetained } = await this.transports.publisher.flush();
    if (events.length > 0 || notRetained > 0) throw new UndeliveredEventsError(events, notRetained);
  }

  /**
   * @internal Runs `fn`, recording `origin` on the events it fires with buffered delivery: an
   * {@link UndeliveredEventsError} then says which work fired each failed event
   * (`events[i].origin`). The Lambda SQS handler passes each record's message id.
   */
  public withFireOrigin<T>(origin: string, fn: () => Promise<T>): Promise<T> {
    return fireOrigins.run(origin, fn);
  }

  /**
   * @internal {@link withFireOrigin}, and follows the events `fn` fires with buffered delivery:
   * `settled()` resolves once they have all been accepted or have failed for good, with those that
   * failed (which flush() then no longer reports: see {@link OriginWatch.settled}). The local worker
   * deletes a listener's message only then. If `fn` throws, the watch is ended here.
   */
  public async withFireSettlement<T>(origin: string, fn: () => Promise<T>): Promise<{ value: T; settled: () => Promise<UndeliveredEvent[]> }> {
    const watch = this.transports.publisher.watch(origin);
    let value: T;
    try {
      value = await fireOrigins.run(origin, fn);
    } catch (error) {
      void watch.settled();
      throw error;
    }
    return { value, settled: () => watch.settled() };
  }

  private deliveryFor(api: string, event: string, options: FireOptions | undefined): FireDelivery {
    const delivery = options?.delivery ?? this.settings.fire.delivery;
    if (options?.delivery !== undefined && !(FIRE_DELIVERY_MODES as readonly string[]).includes(delivery)) {
      throw new LightbusError(
        'INVALID_OPTION',
        `${api}.${event}.fire(): delivery must be one of ${FIRE_DELIVERY_MODES.join(', ')}; got ${JSON.stringify(options.delivery)}.`,
        { api, member: event },
      );
    }
    return delivery;
  }

  /** Everything fire() does before sending: authority, validation, the wire form. */
  private prepareEvent(api: string, event: string, parameters: Record<string, unknown> | undefined): PreparedEvent {
    this.assertOpen();
    const definition = this.registry.eventDefinition(api, event);
    if (!this.registry.isRegistered(api)) throw new NotAuthoritativeError(api, event);
    const apiSettings = this.apiSettings(api);
    const checked = apiSettings.validate.outgoing
      ? parseOrThrow(definition.parameters, parameters ?? {}, {
          api,
          member: event,
          direction: 'outgoing',
          part: 'parameters',
          what: 'event parameters',
        })
      : (parameters ?? {});
    const detail: EventDetail = {
      v: WIRE_VERSION,
      kind: 'lightbus.event',
      id: randomUUID(),
      api,
      event,
      parameters: toWireValue(checked) as Record<string, unknown>,
      firedAt: new Date().toISOString(),
      sender: this.sender,
    };
    const names = this.entryNames(api, event);
    const entry = { Source: names.source, DetailType: names.detailType, Detail: JSON.stringify(detail) };
    return { api, event, checked: checked as Record<string, unknown>, detail, entry, timeoutMs: apiSettings.eventFireTimeoutMs };
  }

  /** An event's Source and DetailType, built once per event rather than per fire(). */
  private entryNames(api: string, event: string): { readonly source: string; readonly detailType: string } {
    // Keyed by API, then event: the typed facade passes the same name strings on every fire, so
    // lookups hash nothing new (a joined key would build and hash a string per fire).
    let byEvent = this.entryNamesCache.get(api);
    if (byEvent === undefined) this.entryNamesCache.set(api, (byEvent = new Map()));
    let names = byEvent.get(event);
    if (names === undefined) byEvent.set(event, (names = { source: eventSource(api), detailType: eventDetailType(api, event) }));
    return names;
  }
  private readonly entryNamesCache = new Map<string, Map<string, { readonly source: string; readonly detailType: string }>>();

  /** Confirmed delivery: resolves with EventBridge's id once it accepted the event. */
  private sendConfirmed({ api, event, checked, detail, entry, timeoutMs }: PreparedEvent): Promise<string> {
    const send = (): Promise<string> => this.transports.publisher.publish(entry, { api, event }, Date.now() + timeoutMs);
    if (!this.hookRegistry.observes('EventSent')) return send();
    const hookContext = { api, member: event, eventId: detail.id, parameters: checked };
    return this.hookRegistry.around('EventSent', hookContext, send, (id) => ({ eventBridgeId: id }));
  }

  /**
   * Buffered delivery: resolves (with no EventBridge id) once the event is queued, after waiting
   * for room if `fire.maxBuffered` events are already buffered. The size check throws at once.
   */
  private async sendBuffered(prepared: PreparedEvent): Promise<void> {
    const { api, event, detail, entry, timeoutMs } = prepared;
    const origin = fireOrigins.getStore();
    const context: BufferedPublishContext = origin === undefined ? { api, event, eventId: detail.id } : { api, event, eventId: detail.id, origin };
    if (!this.hookRegistry.observes('EventSent')) {
      const room = this.transports.publisher.buffer(entry, context, timeoutMs);
      if (room) await room;
      return;
    }
    return this.bufferObserved(prepared, context);
  }

  /**
   * Buffered delivery with EventSent hooks: beforeEventSent runs before the event is queued (it
   * may abort the fire, as in confirmed mode), afterEventSent once EventBridge accepted it or it
   * failed for good. Without a before-hook the event is queued within fire() itself, so that
   * `void fire(); await bus.flush()` covers it; a flush() called while a before-hook runs does not.
   */
  private async bufferObserved({ api, event, checked, detail, entry, timeoutMs }: PreparedEvent, context: BufferedPublishContext): Promise<void> {
    const hookContext = { api, member: event, eventId: detail.id, parameters: checked };
    const toHookValue = (id: string) => ({ eventBridgeId: id });
    let listener!: DeliveryListener;
    const delivered = new Promise<string>((resolve, reject) => (listener = { resolve, reject }));
    let room: Promise<void> | undefined;
    try {
      if (this.hookRegistry.has('beforeEventSent')) await this.hookRegistry.runBefore('beforeEventSent', hookContext);
      room = this.transports.publisher.buffer(entry, context, timeoutMs, listener);
    } catch (error) {
      // Aborted by a before-hook, or too large: not queued. The after-hooks see the failure, as in
      // confirmed mode, then fire() rejects with it.
      await this.hookRegistry.afterSettled('EventSent', hookContext, Promise.reject(error), toHookValue);
      throw error;
    }
    // A delivery failure after fire() resolved is reported by flush() and the log (and the hook).
    void this.hookRegistry.afterSettled('EventSent', hookContext, delivered, toHookValue);
    if (room) await room;
  }

  /** Buffered delivery gave up on an event: never silently, whether or not anyone flushes. */
  private logUndelivered(event: UndeliveredEvent): void {
    this.logger.error('An event fired with buffered delivery was not delivered: EventBridge did not accept it', {
      api: event.api,
      member: event.event,
      eventId: event.id,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
      ...(event.origin !== undefined ? { origin: event.origin } : {}),
    });
  }

  /**
   * Registers a listener for one or more events: `bus.listen(['customers.newCustomer'], handler,
   * { listenerName: 'createUser' })`. The worker runs it; this only declares it.
   */
  public listen(events: EventReference | readonly EventReference[], handler: ListenerHandler<never>, options: ListenOptions): void {
    if (this.settings.serviceName === undefined) {
      throw new ConfigurationError(
        `listen(${options?.listenerName ?? ''}): this bus has no service name, and listener queues are named after it. ` +
          'Pass lightbus.create({ serviceName }) or set LIGHTBUS_SERVICE_NAME (lightbus run --service-name).',
      );
    }
    const list = (Array.isArray(events) ? events : [events]) as readonly EventReference[];
    const resolved = list.map((ref) => {
      const { api, member } = typeof ref === 'string' ? splitMemberName(ref) : { api: ref.api, member: ref.event };
      return { api, event: member };
    });
    this.registry.addListener(resolved, handler, options);
  }

  /**
   * Declares a task that runs every interval: `bus.every({ minutes: 5 }, handler, { taskName: 'sweep' })`.
   * Workers with the `tasks` feature run it (locally on a timer, on Lambda from an EventBridge rule).
   */
  public every(interval: EveryInterval, handler: TaskHandler, options: TaskOptions): void {
    this.registry.addTask(defineTask('every', interval, handler, options, this.settings.serviceName, this.registry.tasks));
  }

  /**
   * Declares a task on an EventBridge schedule expression, in UTC: `cron(0 3 * * ? *)` or `rate(1 hour)`
   * (see docs/concepts.md, "Scheduled tasks").
   */
  public schedule(expression: string, handler: TaskHandler, options: TaskOptions): void {
    this.registry.addTask(defineTask('schedule', expression, handler, options, this.settings.serviceName, this.registry.tasks));
  }

  /** The AWS resources this bus module needs: one model for local provisioning and CDK. */
  public topology(): Topology {
    return deriveTopology({
      busName: this.settings.busName,
      eventBusName: this.transports.location.eventBusName,
      resultsTableName: this.transports.location.resultsTable,
      serviceName: this.settings.serviceName,
      registeredApis: this.registry.registeredApis,
      servedApis: this.registry.registeredApis.filter((api) => Object.keys(this.registry.definition(api).rpcs).length > 0),
      knownApis: this.registry.knownApis,
      listeners: this.registry.listeners.map((l) => ({
        listenerName: l.listenerName,
        events: l.events.map((e) => ({ api: e.api, event: e.event })),
        maxReceives: l.maxReceives,
        visibilityTimeoutSeconds: l.visibilityTimeoutSeconds,
      })),
      tasks: this.registry.tasks.map((t) => ({ taskName: t.taskName, scheduleExpression: t.schedule.expression })),
    });
  }

  /**
   * Flushes events fired with buffered delivery (see {@link flush}), then stops waiting for results
   * and closes connections. Calls in flight reject; no fire() is accepted once close() is called.
   * Rejects with the flush's {@link UndeliveredEventsError} after closing, if events were lost.
   */
  public close(): Promise<void> {
    // One close for every caller: a second close() settles with the first one's flush.
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    const flushed = await this.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    this.transports.close(new LightbusError('CLIENT_CLOSED', 'The bus client was closed while waiting for a result.'));
    if (flushed !== undefined) throw flushed;
  }

  private assertOpen(): void {
    if (this.closed) throw new LightbusError('CLIENT_CLOSED', 'This bus client is closed.');
  }
}
