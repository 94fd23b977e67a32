import { createHash } from 'node:crypto';
// A namespace import: bundlers keep the zod code used. `import { z }` keeps all of zod, its locales too (~360 kB).
import * as z from 'zod';
import type { AnyApiDefinition, EventDefinition, RpcDefinition } from '../api/types';
import { toWireValue } from './cast';
import { internals, isBytesSchema } from './types';

/** A JSON Schema document (draft 2020-12), as plain JSON. */
export type JsonSchema = { readonly [key: string]: unknown };

/** The schemas of one procedure: what a caller sends, and what comes back. */
export interface RpcSchema {
  readonly description?: string;
  readonly parameters: JsonSchema;
  readonly response: JsonSchema;
}

/** The schema of one event: what a firer sends. */
export interface EventSchema {
  readonly description?: string;
  readonly parameters: JsonSchema;
}

/**
 * An API's schema as shared on the bus and written by `lightbus dumpschema`: one JSON Schema
 * per procedure's parameters and response and per event's parameters, describing the values
 * *as they travel* (dates as ISO 8601 strings, bytes as base64, ...). See docs/schema.md.
 */
export interface ApiSchema {
  /** Format of this document. */
  readonly lightbusSchema: 1;
  readonly api: string;
  /** A hash of the content: equal schemas have equal versions. */
  readonly version: string;
  readonly description?: string;
  readonly rpcs: Readonly<Record<string, RpcSchema>>;
  readonly events: Readonly<Record<string, EventSchema>>;
}

export const API_SCHEMA_FORMAT = 1;
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Base64, as Buffer.toString('base64') writes it. */
export const BASE64_PATTERN = '^[A-Za-z0-9+/]*={0,2}$';
/** A bigint travels as a decimal string. */
export const BIGINT_PATTERN = '^-?[0-9]+$';

type Io = 'input' | 'output';

/**
 * The JSON Schema of a zod schema's wire form. Parameters use zod's *input* side (what a caller
 * may send: defaulted parameters are optional and carry their `default`); results use the
 * *output* side (what the worker sends once its own validation applied defaults and transforms).
 * Types JSON Schema cannot express are described as they travel (see docs/schema.md):
 * Date → `{type: string, format: date-time}`, bytes → `{type: string, contentEncoding: base64}`,
 * bigint → decimal string, Set → array with unique items, Map → object. Anything else zod cannot
 * express (functions, custom checks, transforms' output) becomes `{}` (any value).
 */
export function toJsonSchema(schema: z.core.$ZodType, io: Io): JsonSchema {
  return z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => applyWireOverride(ctx.zodSchema, ctx.jsonSchema as Record<string, unknown>, io),
  }) as JsonSchema;
}

/** Without the `$schema` header, for embedding inside another schema. */
function embedded(schema: z.core.$ZodType, io: Io): JsonSchema {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, io) as Record<string, unknown>;
  void _ignored;
  return rest;
}

function replace(target: Record<string, unknown>, value: Record<string, unknown>): void {
  const keep = typeof target.description === 'string' ? { description: target.description } : {};
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, keep, value);
}

function applyWireOverride(schema: z.core.$ZodType, json: Record<string, unknown>, io: Io): void {
  const def = internals(schema).def;
  switch (def.type) {
    case 'date':
      replace(json, { type: 'string', format: 'date-time' });
      return;
    case 'bigint':
      replace(json, { type: 'string', pattern: BIGINT_PATTERN });
      return;
    case 'custom':
      if (isBytesSchema(schema)) replace(json, { type: 'string', contentEncoding: 'base64', pattern: BASE64_PATTERN });
      return;
    case 'set':
      replace(json, { type: 'array', uniqueItems: true, items: embedded(def.valueType as z.core.$ZodType, io) });
      return;
    case 'map':
      replace(json, { type: 'object', additionalProperties: embedded(def.valueType as z.core.$ZodType, io) });
      return;
    case 'void':
    case 'undefined':
      // No value travels as JSON null.
      replace(json, { type: 'null' });
      return;
    case 'default':
    case 'prefault':
      // The default as it would travel (a Date default as its ISO string, a Set as an array, ...).
      if ('default' in json) json.default = toWireValue(def.defaultValue);
      return;
    default:
      return;
  }
}

/** A result that may be undefined travels as JSON null. */
function responseSchema(response: z.core.$ZodType): JsonSchema {
  const json = toJsonSchema(response, 'output');
  const optional = (response as unknown as { _zod: { optout?: string } })._zod.optout === 'optional';
  if (!optional) return json;
  const { $schema, ...rest } = json as Record<string, unknown>;
  if (Object.keys(rest).length === 0) return json;
  return { $schema, anyOf: [rest, { type: 'null' }] };
}

function rpcSchema(definition: RpcDefinition): RpcSchema {
  return {
    ...(definition.description !== undefined ? { description: definition.description } : {}),
    parameters: toJsonSchema(definition.parameters, 'input'),
    response: responseSchema(definition.response),
  };
}

function eventSchema(definition: EventDefinition): EventSchema {
  return {
    ...(definition.description !== undefined ? { description: definition.description } : {}),
    parameters: toJsonSchema(definition.parameters, 'input'),
  };
}

/** Schemas generated once per definition object: definitions are immutable. */
const generated = new WeakMap<AnyApiDefinition, ApiSchema>();

/** The API's schema, generated from its zod definitions (memoised per definition). */
export function apiSchema(api: AnyApiDefinition): ApiSchema {
  const cached = generated.get(api);
  if (cached) return cached;
  const rpcs: Record<string, RpcSchema> = {};
  for (const [name, definition] of Object.entries(api.rpcs)) rpcs[name] = rpcSchema(definition as RpcDefinition);
  const events: Record<string, EventSchema> = {};
  for (const [name, definition] of Object.entries(api.events)) events[name] = eventSchema(definition as EventDefinition);
  const body = {
    api: api.name,
    ...(api.description !== undefined ? { description: api.description } : {}),
    rpcs,
    events,
  };
  const schema: ApiSchema = { lightbusSchema: API_SCHEMA_FORMAT, ...body, version: schemaVersion(body) };
  generated.set(api, schema);
  return schema;
}

/** A short content hash: the same contract always gets the same version. */
export function schemaVersion(body: { api: string; description?: string; rpcs: unknown; events: unknown }): string {
  const canonical = JSON.stringify({ api: body.api, description: body.description, rpcs: body.rpcs, events: body.events });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Built on first use: only processes that read published schemas need it (not cold starts). */
let apiSchemaDocument: z.ZodType | undefined;

function apiSchemaDocumentSchema(): z.ZodType {
  const jsonObject = z.record(z.string(), z.unknown());
  apiSchemaDocument ??= z.object({
    lightbusSchema: z.literal(API_SCHEMA_FORMAT),
    api: z.string().min(1),
    version: z.string().min(1),
    description: z.string().optional(),
    rpcs: z.record(z.string(), z.object({ description: z.string().optional(), parameters: jsonObject, response: jsonObject })),
    events: z.record(z.string(), z.object({ description: z.string().optional(), parameters: jsonObject })),
  });
  return apiSchemaDocument;
}

/** Checks that a value read from the bus or a dump file is an API schema document. */
export function readApiSchema(value: unknown): { ok: true; schema: ApiSchema } | { ok: false; problem: string } {
  const parsed = apiSchemaDocumentSchema().safeParse(value);
  if (parsed.success) return { ok: true, schema: parsed.data as ApiSchema };
  const problem = parsed.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem };
}
