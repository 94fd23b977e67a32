import type { z } from 'zod';

/** The schema of a parameter object: always a zod object, so parameters are named. */
export type ParametersSchema = z.ZodObject<z.core.$ZodShape>;

/** Parameters may be given as a zod object or as a plain shape (`{ name: z.string() }`). */
export type ParametersInput = ParametersSchema | z.core.$ZodShape;

/** Normalises a `ParametersInput` to its zod object type. */
export type ToParametersSchema<P extends ParametersInput> = P extends ParametersSchema
  ? P
  : P extends z.core.$ZodShape
    ? z.ZodObject<P, z.core.$strict>
    : never;

/** A remote procedure: named parameters in, one typed response out. */
export interface RpcDefinition<P extends ParametersSchema = ParametersSchema, R extends z.ZodType = z.ZodType> {
  readonly kind: 'rpc';
  readonly parameters: P;
  readonly response: R;
  readonly description?: string;
}

/** An event: named parameters, fired by the API's authoritative service. */
export interface EventDefinition<P extends ParametersSchema = ParametersSchema> {
  readonly kind: 'event';
  readonly parameters: P;
  readonly description?: string;
}

export type RpcMap = Readonly<Record<string, RpcDefinition>>;
export type EventMap = Readonly<Record<string, EventDefinition>>;

/**
 * An API's definition: its name and the shapes of its procedures and events. Share it between
 * services (it holds no implementation); a caller that imports it gets typed calls.
 */
export interface ApiDefinition<
  N extends string = string,
  R extends RpcMap = RpcMap,
  E extends EventMap = EventMap,
> {
  readonly kind: 'api';
  readonly name: N;
  readonly rpcs: R;
  readonly events: E;
  readonly description?: string;
}

/** Any API definition, whatever its members. */
export type AnyApiDefinition = ApiDefinition<string, RpcMap, EventMap>;

export type RpcsOf<A extends AnyApiDefinition> = A['rpcs'];
export type EventsOf<A extends AnyApiDefinition> = A['events'];

/** What a caller passes to a procedure (before defaults apply). */
export type RpcParameters<D extends RpcDefinition> = z.input<D['parameters']>;
/** What a procedure receives (after validation, defaults and casting). */
export type RpcParsedParameters<D extends RpcDefinition> = z.output<D['parameters']>;
/** What a caller gets back. */
export type RpcResult<D extends RpcDefinition> = z.output<D['response']>;
/** What a procedure may return. */
export type RpcReturn<D extends RpcDefinition> = z.input<D['response']>;

/** What a firer passes. */
export type EventParameters<D extends EventDefinition> = z.input<D['parameters']>;
/** What a listener receives. */
export type EventParsedParameters<D extends EventDefinition> = z.output<D['parameters']>;
