import type { AnyApiDefinition } from '../api/types';
import { InvalidDefinitionError } from '../errors';
import { BusClient } from './bus-client';
import { ReservedApiRoots } from './reserved-roots';
import type { ApiImplementation, ApiTree, CallOptions, CreateOptions, FireOptions, ListenerHandler, ListenOptions } from './types';

/** A bus client with each known API at its dotted path, typed from the definitions given to create(). */
export type Bus<Apis extends readonly AnyApiDefinition[] = readonly AnyApiDefinition[]> = BusClient &
  ApiTree<Apis> & {
    /**
     * Makes this service authoritative for an API: the worker serves its procedures, and this
     * bus may fire its events. Every declared procedure must be implemented.
     */
    register<A extends AnyApiDefinition>(api: A, implementation: ApiImplementation<A>): void;
  };

/**
 * Creates a bus client. In a bus module, export it as `bus`; `lightbus run` and the Lambda handler
 * load it to find the service's APIs and listeners.
 *
 * @example
 * export const bus = lightbus.create({ serviceName: 'auth', apis: [authApi, customersApi] });
 * bus.register(authApi, { checkPassword: async ({ username, password }) => ... });
 * bus.customers.newCustomer.listen(handler, { listenerName: 'createUserForCustomer' });
 */
export function create<const Apis extends readonly AnyApiDefinition[] = []>(options: CreateOptions<Apis> = {}): Bus<Apis> {
  const client = new BusClient(options) as Bus<Apis>;
  Object.defineProperty(client, 'register', {
    value: (api: AnyApiDefinition, implementation: Readonly<Record<string, unknown>>) => {
      // Refused before it is registered: a refused API must leave the bus as it was.
      if (api?.kind === 'api' && typeof api.name === 'string') facadeOf(client).reserved.assertFree(api.name);
      client.registerApi(api, implementation);
      attachApi(client, api);
    },
    enumerable: false,
  });
  // Read from the client now, with `register` in place and no API attached yet.
  facades.set(client, { reserved: new ReservedApiRoots(client), attached: new Set() });
  for (const api of options.apis ?? []) attachApi(client, api);
  return client;
}

/** What create() keeps per client: the roots no API may take, and the APIs attached so far. */
interface Facade {
  readonly reserved: ReservedApiRoots;
  /** register() after create({ apis }) attaches nothing new. */
  readonly attached: Set<AnyApiDefinition>;
}

const facades = new WeakMap<BusClient, Facade>();

function facadeOf(client: BusClient): Facade {
  const facade = facades.get(client);
  if (!facade) throw new Error('This bus client was not made by lightbus.create()');
  return facade;
}

/** Puts the API's client object at its dotted path on the bus (`bus.support.case`). */
function attachApi(client: BusClient, api: AnyApiDefinition): void {
  const { reserved, attached: done } = facadeOf(client);
  if (done.has(api)) return;
  reserved.assertFree(api.name);
  done.add(api);
  const segments = api.name.split('.');
  let parent = client as unknown as Record<string, unknown>;
  for (const segment of segments) {
    const existing = parent[segment];
    if (existing === undefined) {
      const child: Record<string, unknown> = {};
      Object.defineProperty(parent, segment, { value: child, enumerable: true });
      parent = child;
    } else if (typeof existing === 'object' && existing !== null && !(segment in BusClient.prototype)) {
      parent = existing as Record<string, unknown>;
    } else {
      throw new InvalidDefinitionError(`The API name "${api.name}" clashes with "${segment}" on the bus client.`, { api: api.name });
    }
  }
  for (const procedure of Object.keys(api.rpcs)) {
    defineMember(parent, api.name, procedure, (parameters?: Record<string, unknown>, options?: CallOptions) =>
      client.callProcedure(api.name, procedure, parameters, options),
    );
  }
  for (const event of Object.keys(api.events)) {
    defineMember(parent, api.name, event, {
      fire: (parameters?: Record<string, unknown>, options?: FireOptions) => client.fireEvent(api.name, event, parameters, options),
      listen: (handler: ListenerHandler<never>, options: ListenOptions) => client.listen([{ api: api.name, event }], handler, options),
    });
  }
}

function defineMember(target: Record<string, unknown>, api: string, member: string, value: unknown): void {
  if (Object.prototype.hasOwnProperty.call(target, member)) {
    throw new InvalidDefinitionError(
      `"${api}.${member}" clashes with another API's path on the bus client (an API named "${api}.${member}"?).`,
      { api, member },
    );
  }
  Object.defineProperty(target, member, { value, enumerable: true });
}
