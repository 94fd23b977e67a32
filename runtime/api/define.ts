// A namespace import: bundlers keep the zod code used. `import { z }` keeps all of zod, its locales too (~360 kB).
import * as z from 'zod';
import { InvalidDefinitionError } from '../errors';
import { assertValidApiName, assertValidMemberName } from './names';
import type {
  ApiDefinition,
  EventDefinition,
  EventMap,
  ParametersInput,
  ParametersSchema,
  RpcDefinition,
  RpcMap,
  ToParametersSchema,
} from './types';

function isZodObject(value: unknown): value is ParametersSchema {
  return value instanceof z.ZodObject;
}

/**
 * Parameters reject unknown keys unless the schema says otherwise: a misspelt parameter must fail
 * at the caller, not vanish silently. A schema built with `z.looseObject` keeps its catchall.
 */
function toParametersSchema(where: string, input: ParametersInput | undefined): ParametersSchema {
  if (input === undefined) return z.strictObject({});
  if (isZodObject(input)) {
    return input.def.catchall === undefined ? input.strict() : input;
  }
  if (typeof input !== 'object' || input === null || input instanceof z.ZodType) {
    throw new InvalidDefinitionError(
      `${where}: parameters must be a zod object (z.object({...})) or a shape ({ name: z.string() }); ` +
        `got ${input instanceof z.ZodType ? `a zod ${input.def.type}` : typeof input}.`,
    );
  }
  for (const [key, schema] of Object.entries(input)) {
    if (!(schema instanceof z.ZodType)) {
      throw new InvalidDefinitionError(`${where}: parameter "${key}" must be a zod schema; got ${typeof schema}.`);
    }
  }
  return z.strictObject(input);
}

/**
 * Declares a remote procedure.
 *
 * @example
 * const checkPassword = rpc({
 *   parameters: { username: z.string(), password: z.string() },
 *   response: z.boolean(),
 * });
 */
export function rpc<P extends ParametersInput = {}, R extends z.ZodType = z.ZodVoid>(definition: {
  readonly parameters?: P;
  readonly response?: R;
  readonly description?: string;
}): RpcDefinition<ToParametersSchema<NoInfer<P>>, NoInfer<R>> {
  const response = definition.response ?? z.void();
  if (!(response instanceof z.ZodType)) {
    throw new InvalidDefinitionError(`rpc(): response must be a zod schema; got ${typeof response}.`);
  }
  return {
    kind: 'rpc',
    parameters: toParametersSchema('rpc()', definition.parameters) as ToParametersSchema<P>,
    response: response as R,
    ...(definition.description !== undefined ? { description: definition.description } : {}),
  };
}

/**
 * Declares an event.
 *
 * @example
 * const newCustomer = event({ parameters: { customerName: z.string(), email: z.email() } });
 */
export function event<P extends ParametersInput = {}>(definition: {
  readonly parameters?: P;
  readonly description?: string;
}): EventDefinition<ToParametersSchema<NoInfer<P>>> {
  return {
    kind: 'event',
    parameters: toParametersSchema('event()', definition.parameters) as ToParametersSchema<P>,
    ...(definition.description !== undefined ? { description: definition.description } : {}),
  };
}

/**
 * Declares an API: a dotted name with its procedures and events. Throws at definition time for
 * invalid or reserved names and for members declared twice.
 *
 * @example
 * export const authApi = api('auth', {
 *   rpcs: { checkPassword },
 *   events: { userCreated: event({ parameters: { username: z.string() } }) },
 * });
 */
export function api<const N extends string, R extends RpcMap = {}, E extends EventMap = {}>(
  name: N,
  members: { readonly rpcs?: R; readonly events?: E; readonly description?: string },
): ApiDefinition<N, R, E> {
  assertValidApiName(name);
  const rpcs = (members.rpcs ?? {}) as R;
  const events = (members.events ?? {}) as E;
  for (const [procedure, definition] of Object.entries(rpcs)) {
    assertValidMemberName(name, 'procedure', procedure);
    if (definition?.kind !== 'rpc') {
      throw new InvalidDefinitionError(
        `API "${name}": rpcs.${procedure} must be declared with rpc({...}); got ${describeValue(definition)}.`,
        { api: name, member: procedure },
      );
    }
  }
  for (const [eventName, definition] of Object.entries(events)) {
    assertValidMemberName(name, 'event', eventName);
    if (definition?.kind !== 'event') {
      throw new InvalidDefinitionError(
        `API "${name}": events.${eventName} must be declared with event({...}); got ${describeValue(definition)}.`,
        { api: name, member: eventName },
      );
    }
    if (Object.prototype.hasOwnProperty.call(rpcs, eventName)) {
      throw new InvalidDefinitionError(
        `API "${name}" declares "${eventName}" twice, as a procedure and as an event; member names must be unique.`,
        { api: name, member: eventName },
      );
    }
  }
  return Object.freeze({
    kind: 'api' as const,
    name,
    rpcs: Object.freeze({ ...rpcs }),
    events: Object.freeze({ ...events }),
    ...(members.description !== undefined ? { description: members.description } : {}),
  });
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object with kind ${JSON.stringify((value as { kind?: unknown }).kind)}`;
  return typeof value;
}
