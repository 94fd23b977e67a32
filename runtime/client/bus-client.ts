import { setMaxListeners } from 'node:events';
import type { AnyApiDefinition } from '../api/types';
import type { ApiSettings, BusSettings } from '../config';
import { ConfigurationError, InvalidDefinitionError, LightbusError, type UndeliveredEventsError } from '../errors';
import { HookRegistry } from '../hooks';
import type { Logger } from '../logging';
import type { Sender } from '../messages/wire';
import { BusSchemas, SchemaStore } from '../schema';
import type { EveryInterval } from '../tasks/schedule';
import type { TaskHandler, TaskOptions } from '../tasks/types';
import { deriveTopology, type Topology } from '../topology';
import { ClientSettings } from './client-settings';
import { EventFirer, logUndelivered } from './event-firer';
import { checkOrderedListener } from './ordered-listener';
import { followFires, runWithFireOrigin, type FollowedFires } from './fire-origin';
import { splitMemberName } from './member-name';
import { Registry } from './registry';
import { RpcCaller } from './rpc-caller';
import { TaskDeclarations } from './task-declarations';
import { BusTransports } from './transports';
import type { CallOptions, CreateOptions, EventReference, FireOptions, ListenerHandler, ListenOptions, SentEvent } from './types';

/**
 * The bus client, untyped core: calls, fires, listens, declares tasks, closes. `lightbus.create()`
 * returns one of these with each known API attached at its dotted path
 * (`bus.auth.checkPassword(...)`), typed from the definitions.
 *
 * It holds its parts and hands each job to one of them: {@link ClientSettings} (what it is
 * configured as), {@link Registry} (what the service knows and serves), {@link BusTransports}
 * (the AWS side), {@link RpcCaller} and {@link EventFirer} (the two send paths),
 * {@link TaskDeclarations} (`every`/`schedule`) and fire-origin.ts (which work fired an event).
 *
 * Its state is in `#private` fields, which are not properties: every property name of a client is
 * a name an API cannot start with (client/reserved-roots.ts derives them from the client itself).
 */
export class BusClient {
  readonly #settings: ClientSettings;
  readonly #registry = new Registry();
  readonly #transports: BusTransports;
  readonly #schemas: BusSchemas;
  readonly #hooks: HookRegistry<this>;
  readonly #rpcCaller: RpcCaller;
  readonly #eventFirer: EventFirer;
  readonly #taskDeclarations: TaskDeclarations;
  #schemaStore: SchemaStore | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Aborted once close() has flushed: the calls still in flight reject then. */
  readonly #closeSignal = unboundedListeners(new AbortController());

  public constructor(options: CreateOptions = {}) {
    const settings = (this.#settings = new ClientSettings(options));
    for (const api of options.apis ?? []) this.#registry.addDefinition(api);
    this.#transports = new BusTransports(settings.bus, { onUndelivered: (event) => logUndelivered(settings.logger, event) });
    this.#schemas = new BusSchemas({ store: () => this.schemaStore, logger: settings.logger });
    this.#hooks = new HookRegistry<this>(this, settings.logger);
    const parts = { settings, registry: this.#registry, transports: this.#transports, hooks: this.#hooks as HookRegistry<unknown> };
    this.#rpcCaller = new RpcCaller({ ...parts, schemas: this.#schemas, closing: this.#closeSignal.signal });
    this.#eventFirer = new EventFirer({ ...parts, assertOpen: () => this.#assertOpen() });
    this.#taskDeclarations = new TaskDeclarations(this.#registry, settings.bus.serviceName);
  }

  /** The resolved settings of this bus (create() options, CLI flags, config file, environment). */
  public get settings(): BusSettings {
    return this.#settings.bus;
  }

  public get logger(): Logger {
    return this.#settings.logger;
  }

  /** Who this process is, as written into the messages it sends. */
  public get sender(): Sender {
    return this.#settings.sender;
  }

  public apiSettings(api: string): ApiSettings {
    return this.#settings.forApi(api);
  }

  /** @internal what this service knows and serves: used by the dispatcher and the worker */
  public get registry(): Registry {
    return this.#registry;
  }

  /** @internal */
  public get transports(): BusTransports {
    return this.#transports;
  }

  /** Schemas of APIs this bus has no definition of: loaded from a dump, or published on the bus. */
  public get schemas(): BusSchemas {
    return this.#schemas;
  }

  /** @internal the bus's schema items in its results table */
  public get schemaStore(): SchemaStore {
    this.#schemaStore ??= new SchemaStore(this.#transports.clients, this.#transports.location.resultsTable);
    return this.#schemaStore;
  }

  /** Lifecycle hooks: `bus.hooks.on('afterRpcCall', (context, bus) => ...)` (docs/hooks-and-metrics.md). */
  public get hooks(): HookRegistry<this> {
    return this.#hooks;
  }

  /**
   * Makes this service authoritative for an API: the worker serves its procedures and this bus
   * may fire its events.
   */
  public registerApi(api: AnyApiDefinition, implementation: Readonly<Record<string, unknown>>): void {
    this.#registry.register(api, implementation);
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
    this.#assertOpen();
    return this.#rpcCaller.call(api, procedure, parameters, options);
  }

  /** Fires an event by name: `bus.fire('customers.newCustomer', { ... })`. */
  public async fire(qualifiedName: string, parameters: Record<string, unknown> = {}, options?: FireOptions): Promise<SentEvent> {
    const { api, member: event } = splitMemberName(qualifiedName);
    return this.fireEvent(api, event, parameters, options);
  }

  /**
   * @internal Validates and serialises the event, then hands it to EventBridge: with confirmed
   * delivery resolves once EventBridge accepted it, with buffered delivery once it is queued.
   * Invalid input rejects here, in both modes.
   */
  public fireEvent(api: string, event: string, parameters: Record<string, unknown> | undefined, options?: FireOptions): Promise<SentEvent> {
    // Not async: EventFirer.fire never throws (it rejects), and a wrapper's promise is one more per fire.
    return this.#eventFirer.fire(api, event, parameters, options);
  }

  /**
   * Resolves once every event fired so far with buffered delivery has been accepted by EventBridge.
   * Rejects with {@link UndeliveredEventsError}, listing each event that could not be delivered
   * (after the per-entry retries, or at its eventFireTimeout), once the delivery of all of them is
   * concluded; each failed event is reported by one flush() only. Each event concludes by its
   * eventFireTimeout (counted from when it was queued) whatever the endpoint does, so flush()
   * settles by then too. Events fired with confirmed
   * delivery are not waited for: their own fire() reports them.
   *
   * It covers the fires that were queued when it was called: every buffered fire() called before
   * it, except those whose `beforeEventSent` hooks were still running (the event is queued only
   * after them; await such a fire() first). Only `fire.maxBuffered` failures are kept between
   * flushes; the error counts the rest (`notRetained`), which were logged as they failed.
   */
  public async flush(): Promise<void> {
    return this.#eventFirer.flush();
  }

  /**
   * @internal Runs `fn` with `fireOrigin` recorded on the events it fires with buffered delivery:
   * an {@link UndeliveredEventsError} then says which work fired each failed event
   * (`events[i].origin`). The Lambda SQS handler passes each record's message id.
   */
  public withFireOrigin<T>(fireOrigin: string, fn: () => T): T {
    return runWithFireOrigin(fireOrigin, fn);
  }

  /**
   * @internal {@link withFireOrigin}, and follows the deliveries of the events `fn` fires with
   * buffered delivery: `concluded()` resolves once each has been accepted or has failed for good,
   * with those that failed (which flush() then no longer reports). The local worker deletes a
   * listener's message only then. If `fn` throws, the watch is ended here.
   */
  public followFires<T>(fireOrigin: string, fn: () => Promise<T>): Promise<FollowedFires<T>> {
    return followFires(this.#transports.publisher, fireOrigin, fn);
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
    if (options.exactlyOnce !== undefined && options.exactlyOnce !== false && this.settings.fire.delivery === 'buffered') {
      // The event would be recorded done when the handler returns, before its buffered fires are
      // known to be delivered: a retry for undelivered fires would then be skipped as a duplicate.
      throw new InvalidDefinitionError(
        `listen(${options.listenerName}): exactlyOnce cannot be used on a bus whose fire delivery is 'buffered' ` +
          "(its events could be lost on a retry); use fire: { delivery: 'confirmed' }, the default.",
        { listenerName: options.listenerName },
      );
    }
    const ordered = checkOrderedListener(
      options?.listenerName ?? '',
      resolved.map((e) => ({ ...e, definition: this.#registry.eventDefinition(e.api, e.event) })),
      options?.ordered,
      (api) => this.#settings.forApi(api),
    );
    this.#registry.addListener(resolved, handler, options, ordered);
  }

  /**
   * Declares a task that runs every interval: `bus.every({ minutes: 5 }, handler, { taskName: 'sweep' })`.
   * Workers with the `tasks` feature run it (locally on a timer, on Lambda from an EventBridge rule).
   */
  public every(interval: EveryInterval, handler: TaskHandler, options: TaskOptions): void {
    this.#taskDeclarations.every(interval, handler, options);
  }

  /**
   * Declares a task on an EventBridge schedule expression, in UTC: `cron(0 3 * * ? *)` or `rate(1 hour)`
   * (see docs/concepts.md, "Scheduled tasks").
   */
  public schedule(expression: string, handler: TaskHandler, options: TaskOptions): void {
    this.#taskDeclarations.schedule(expression, handler, options);
  }

  /** The AWS resources this bus module needs: one model for local provisioning and CDK. */
  public topology(): Topology {
    const registry = this.#registry;
    return deriveTopology({
      busName: this.settings.busName,
      eventBusName: this.#transports.location.eventBusName,
      resultsTableName: this.#transports.location.resultsTable,
      serviceName: this.settings.serviceName,
      registeredApis: registry.registeredApis,
      servedApis: registry.registeredApis.filter((api) => Object.keys(registry.definition(api).rpcs).length > 0),
      knownApis: registry.knownApis,
      listeners: registry.listeners.map((l) => ({
        listenerName: l.listenerName,
        events: l.events.map((e) => ({ api: e.api, event: e.event })),
        maxReceives: l.maxReceives,
        visibilityTimeoutSeconds: l.visibilityTimeoutSeconds,
        exactlyOnce: l.exactlyOnce !== undefined,
        ...(l.ordered ? { ordered: l.ordered } : {}),
      })),
      tasks: registry.tasks.map((t) => ({ taskName: t.taskName, scheduleExpression: t.schedule.expression })),
      eventTransports: Object.fromEntries(registry.knownApis.map((api) => [api, this.#settings.forApi(api).transports.event])),
    });
  }

  /**
   * Flushes events fired with buffered delivery (see {@link flush}), then stops waiting for results
   * and closes connections. Calls in flight reject; no fire() is accepted once close() is called.
   * Rejects with the flush's {@link UndeliveredEventsError} after closing, if events were lost.
   *
   * Settles by the flush's bound even if the endpoint hangs: each buffered event fails at its
   * eventFireTimeout. Every socket is then closed, a hung request's included (which the SDK would
   * otherwise retry on a new one), so a closed client does not keep the process alive.
   */
  public close(): Promise<void> {
    // One close for every caller: a second close() resolves or rejects with the first one's flush.
    this.#closing ??= this.#closeOnce();
    return this.#closing;
  }

  async #closeOnce(): Promise<void> {
    this.#closed = true;
    const flushed = await this.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    const reason = new LightbusError('CLIENT_CLOSED', 'The bus client was closed while the call was in flight.');
    this.#closeSignal.abort(reason);
    this.#transports.close(reason);
    if (flushed !== undefined) throw flushed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LightbusError('CLIENT_CLOSED', 'This bus client is closed.');
  }
}

/**
 * Every call in flight listens to the client's close signal, so 11 calls at once are as normal as
 * one: without this Node warns of a "possible EventTarget memory leak" past 10 listeners. Each call
 * removes its listener when it settles.
 */
function unboundedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
