import type { AnyApiDefinition, EventDefinition, RpcDefinition } from '../api/types';
import { assertValidApiName } from '../api/names';
import { ConfigurationError, InvalidDefinitionError, UnknownApiError, UnknownMemberError } from '../errors';
import type { TaskRegistration } from '../tasks/types';
import { exactlyOnceSettings } from './exactly-once-options';
import type { ListenerHandler, ListenOptions, RpcContext } from './types';

export type ProcedureFunction = (parameters: never, context: RpcContext) => unknown;

export interface ListenerRegistration {
  readonly listenerName: string;
  readonly events: readonly { readonly api: string; readonly event: string; readonly definition: EventDefinition }[];
  readonly handler: ListenerHandler<never>;
  readonly maxReceives: number;
  readonly visibilityTimeoutSeconds: number;
  readonly retryDelaySeconds: number;
  /** Set for an exactly-once listener: how long a handled event id is remembered. */
  readonly exactlyOnce: { readonly ttlSeconds: number } | undefined;
  /** Set for an ordered listener: the parameter its events are ordered by. */
  readonly ordered?: { readonly by: string } | undefined;
}

/** What a bus knows: API definitions, which of them it serves, and its listeners. */
export class Registry {
  private readonly apis = new Map<string, AnyApiDefinition>();
  private readonly implementations = new Map<string, Readonly<Record<string, ProcedureFunction>>>();
  private readonly listenerList: ListenerRegistration[] = [];
  private readonly taskList: TaskRegistration[] = [];

  public addDefinition(api: AnyApiDefinition): void {
    if (api?.kind !== 'api') {
      throw new InvalidDefinitionError(`Expected an API definition made with lightbus.api(); got ${typeof api}.`);
    }
    assertValidApiName(api.name);
    const existing = this.apis.get(api.name);
    if (existing && existing !== api) {
      throw new InvalidDefinitionError(
        `Two different definitions of the API "${api.name}" were given; an API name must be defined once.`,
        { api: api.name },
      );
    }
    this.apis.set(api.name, api);
  }

  public register(api: AnyApiDefinition, implementation: Readonly<Record<string, unknown>>): void {
    this.addDefinition(api);
    if (this.implementations.has(api.name)) {
      throw new InvalidDefinitionError(`The API "${api.name}" is already registered on this bus.`, { api: api.name });
    }
    const declared = Object.keys(api.rpcs);
    const given = Object.keys(implementation ?? {});
    const missing = declared.filter((p) => typeof implementation?.[p] !== 'function');
    const extra = given.filter((p) => !declared.includes(p));
    if (missing.length || extra.length) {
      throw new InvalidDefinitionError(
        `The implementation of "${api.name}" does not match its definition: ` +
          [
            missing.length ? `missing or not a function: ${missing.join(', ')}` : '',
            extra.length ? `not declared in the API: ${extra.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; ') +
          `. Declared procedures: ${declared.join(', ') || '(none)'}.`,
        { api: api.name, missing, extra },
      );
    }
    this.implementations.set(api.name, implementation as Readonly<Record<string, ProcedureFunction>>);
  }

  public addListener(
    events: readonly { api: string; event: string }[],
    handler: ListenerHandler<never>,
    options: ListenOptions,
    ordered?: { readonly by: string },
  ): ListenerRegistration {
    if (typeof handler !== 'function') {
      throw new InvalidDefinitionError(`listen(): the handler must be a function; got ${typeof handler}.`);
    }
    if (!options || typeof options.listenerName !== 'string' || options.listenerName.length === 0) {
      throw new InvalidDefinitionError(
        `listen(${events.map((e) => `${e.api}.${e.event}`).join(', ')}): options.listenerName is required — ` +
          'it names the consumer group (e.g. { listenerName: "createUserForCustomer" }).',
      );
    }
    assertValidListenerName(options.listenerName);
    if (this.listenerList.some((l) => l.listenerName === options.listenerName)) {
      throw new InvalidDefinitionError(
        `A listener named "${options.listenerName}" already exists on this bus; listener names must be unique within a service.`,
        { listenerName: options.listenerName },
      );
    }
    if (events.length === 0) throw new InvalidDefinitionError('listen(): give at least one event.');
    const maxReceives = options.maxReceives ?? 5;
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    const retryDelaySeconds = options.retryDelaySeconds ?? 1;
    if (!Number.isInteger(maxReceives) || maxReceives < 1 || maxReceives > 999) {
      throw new InvalidDefinitionError(`listen(${options.listenerName}): maxReceives must be an integer from 1 to 999; got ${maxReceives}.`);
    }
    if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < 1 || visibilityTimeoutSeconds > 43_200) {
      throw new InvalidDefinitionError(
        `listen(${options.listenerName}): visibilityTimeoutSeconds must be an integer from 1 to 43200; got ${visibilityTimeoutSeconds}.`,
      );
    }
    if (!(retryDelaySeconds >= 0)) {
      throw new InvalidDefinitionError(`listen(${options.listenerName}): retryDelaySeconds must be 0 or more; got ${retryDelaySeconds}.`);
    }
    const registration: ListenerRegistration = {
      listenerName: options.listenerName,
      events: events.map((e) => ({ ...e, definition: this.eventDefinition(e.api, e.event) })),
      handler,
      maxReceives,
      visibilityTimeoutSeconds,
      retryDelaySeconds,
      exactlyOnce: exactlyOnceSettings(options.listenerName, options.exactlyOnce, visibilityTimeoutSeconds),
      ...(ordered ? { ordered } : {}),
    };
    this.listenerList.push(registration);
    return registration;
  }

  public definition(api: string): AnyApiDefinition {
    const definition = this.apis.get(api);
    if (!definition) throw new UnknownApiError(api, [...this.apis.keys()]);
    return definition;
  }

  public findDefinition(api: string): AnyApiDefinition | undefined {
    return this.apis.get(api);
  }

  public rpcDefinition(api: string, procedure: string): RpcDefinition {
    const definition = this.definition(api);
    const rpc = Object.prototype.hasOwnProperty.call(definition.rpcs, procedure)
      ? (definition.rpcs[procedure] as RpcDefinition)
      : undefined;
    if (!rpc) throw new UnknownMemberError(api, 'procedure', procedure, Object.keys(definition.rpcs));
    return rpc;
  }

  public eventDefinition(api: string, event: string): EventDefinition {
    const definition = this.definition(api);
    const found = Object.prototype.hasOwnProperty.call(definition.events, event)
      ? (definition.events[event] as EventDefinition)
      : undefined;
    if (!found) throw new UnknownMemberError(api, 'event', event, Object.keys(definition.events));
    return found;
  }

  public implementation(api: string): Readonly<Record<string, ProcedureFunction>> | undefined {
    return this.implementations.get(api);
  }

  public isRegistered(api: string): boolean {
    return this.implementations.has(api);
  }

  public get knownApis(): string[] {
    return [...this.apis.keys()];
  }

  public get registeredApis(): string[] {
    return [...this.implementations.keys()];
  }

  public get definitions(): AnyApiDefinition[] {
    return [...this.apis.values()];
  }

  public get listeners(): readonly ListenerRegistration[] {
    return this.listenerList;
  }

  /** Adds a scheduled task (validated by defineTask(), which checks names against `tasks`). */
  public addTask(registration: TaskRegistration): void {
    this.taskList.push(registration);
  }

  public get tasks(): readonly TaskRegistration[] {
    return this.taskList;
  }
}

/**
 * Listener names are identifiers (letters, digits, `_`): no `-`, because queue and rule names join
 * service and listener with `-`, and a `-` inside the listener name would let two different
 * (service, listener) pairs share one queue — one consumer group by accident.
 */
const LISTENER_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function assertValidListenerName(name: string): void {
  if (!LISTENER_NAME.test(name)) {
    throw new ConfigurationError(
      `Invalid listener name "${name}": it must match ${LISTENER_NAME} (letters, digits and "_", starting with a letter; ` +
        'no "-", which separates the service and listener parts of queue names).',
      { listenerName: name },
    );
  }
}
