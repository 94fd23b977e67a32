import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { UnknownMemberError, ValidationError, type ValidationIssue } from '../errors';
import { requireOptional } from '../modules';
import type { ApiSchema, JsonSchema } from './json-schema';
import type { ValidationContext } from './validate';

export type MemberKind = 'rpc' | 'event';
export type MessagePart = 'parameters' | 'response';

/**
 * Validates wire values (JSON) against published JSON Schemas with ajv. Each member schema is
 * compiled once per schema version and cached, so validating a message costs one call of a
 * generated function.
 */
export class JsonSchemaValidators {
  private ajvInstance: Ajv2020 | undefined;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly bySchemaObject = new WeakMap<
    ApiSchema,
    { rpcParameters: Map<string, ValidateFunction>; rpcResponse: Map<string, ValidateFunction>; eventParameters: Map<string, ValidateFunction> }
  >();

  private get ajv(): Ajv2020 {
    if (!this.ajvInstance) {
      // Loaded on first use: a Lambda worker whose callers all have definitions never pays for ajv.
      const feature = 'Validating against a JSON Schema published on the bus';
      /* eslint-disable @typescript-eslint/no-require-imports */
      const AjvClass = requireOptional('ajv', feature, () => require('ajv/dist/2020') as { default: typeof Ajv2020 }).default;
      const addFormats = requireOptional('ajv-formats', feature, () => require('ajv-formats') as { default: (ajv: Ajv2020) => Ajv2020 }).default;
      /* eslint-enable @typescript-eslint/no-require-imports */
      this.ajvInstance = new AjvClass({
        allErrors: true,
        verbose: true,
        // zod writes annotations and formats ajv does not know (e.g. "cuid"): ignore them rather than fail.
        strict: false,
        logger: false,
        // zod's regular expressions are written for JavaScript without the `u` flag.
        unicodeRegExp: false,
      });
      addFormats(this.ajvInstance);
    }
    return this.ajvInstance;
  }

  /** Number of compiled validators (for tests and diagnostics). */
  public get size(): number {
    return this.compiled.size;
  }

  /** The JSON Schema of a member's parameters or response; throws UnknownMemberError if the API has no such member. */
  public memberSchema(schema: ApiSchema, kind: MemberKind, member: string, part: MessagePart): JsonSchema {
    const members = kind === 'rpc' ? schema.rpcs : schema.events;
    const found = Object.prototype.hasOwnProperty.call(members, member) ? members[member] : undefined;
    if (!found) throw new UnknownMemberError(schema.api, kind === 'rpc' ? 'procedure' : 'event', member, Object.keys(members));
    if (part === 'response' && 'response' in found) return found.response as JsonSchema;
    return found.parameters;
  }

  public validator(schema: ApiSchema, kind: MemberKind, member: string, part: MessagePart): ValidateFunction {
    // Fast path: per schema object, then per member, without building a key string.
    let slots = this.bySchemaObject.get(schema);
    if (!slots) {
      slots = { rpcParameters: new Map(), rpcResponse: new Map(), eventParameters: new Map() };
      this.bySchemaObject.set(schema, slots);
    }
    const slot = kind === 'event' ? slots.eventParameters : part === 'response' ? slots.rpcResponse : slots.rpcParameters;
    let validate = slot.get(member);
    if (!validate) {
      // The same version read again (a cache refresh) reuses the compiled function.
      const key = `${schema.api}@${schema.version}/${kind}/${member}/${part}`;
      validate = this.compiled.get(key);
      if (!validate) {
        validate = this.ajv.compile(this.memberSchema(schema, kind, member, part) as Record<string, unknown>);
        this.compiled.set(key, validate);
      }
      slot.set(member, validate);
    }
    return validate;
  }

  /** Validates a wire value; throws a ValidationError naming the API, member, paths and expectations. */
  public check(schema: ApiSchema, kind: MemberKind, member: string, value: unknown, context: ValidationContext): void {
    const validate = this.validator(schema, kind, member, context.part);
    if (validate(value)) return;
    throw new ValidationError(`${context.what} (per JSON Schema ${schema.api}@${schema.version})`, context, toIssues(validate.errors ?? []));
  }
}

/** One cache per process: compiled validators are pure functions of their schema. */
export const jsonSchemaValidators = new JsonSchemaValidators();

/** `/address/0/post~1code` → `$.address[0]["post/code"]`-style paths, as zod issues get. */
export function pointerToPath(pointer: string, extra?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  return segments.reduce((acc, segment) => (/^\d+$/.test(segment) ? `${acc}[${segment}]` : `${acc}.${segment}`), '$');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A short description of what a (sub)schema accepts: "string (date-time)", "number", ... */
function describeSchema(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return 'any value';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.anyOf)) return s.anyOf.map(describeSchema).join(' or ');
  if (Array.isArray(s.oneOf)) return s.oneOf.map(describeSchema).join(' or ');
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const type = Array.isArray(s.type) ? s.type.join(' or ') : typeof s.type === 'string' ? s.type : 'any value';
  if (typeof s.format === 'string') return `${type} (${s.format})`;
  if (s.contentEncoding === 'base64') return `${type} (base64)`;
  return type;
}

function toIssues(errors: readonly ErrorObject[]): ValidationIssue[] {
  // An anyOf/oneOf failure also reports why each branch failed; keep the summary only.
  const branches = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .map((e) => ({ instancePath: e.instancePath, schemaPath: e.schemaPath.slice(0, -e.keyword.length) }));
  // zod writes a `pattern` beside most formats (email, uuid, ...): the format names it better.
  const formatFailed = new Set(errors.filter((e) => e.keyword === 'format').map((e) => e.instancePath));
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    if (error.keyword === 'pattern' && formatFailed.has(error.instancePath)) continue;
    const insideBranch = branches.some(
      (b) => error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && error.schemaPath.startsWith(`${b.schemaPath}`) && error.instancePath.startsWith(b.instancePath),
    );
    if (insideBranch) continue;
    issues.push(toIssue(error));
  }
  return issues;
}

function toIssue(error: ErrorObject): ValidationIssue {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      return { path: pointerToPath(error.instancePath, missing), expected: `expected ${describeSchema(properties?.[missing])}, but it is missing (required)` };
    }
    case 'additionalProperties':
      return { path: pointerToPath(error.instancePath, String(params.additionalProperty)), expected: 'no such parameter (unexpected key)' };
    case 'type':
      return {
        path: pointerToPath(error.instancePath),
        expected: `expected ${describeSchema(error.parentSchema)}, received ${describeValue(error.data)}`,
      };
    case 'format':
      return { path: pointerToPath(error.instancePath), expected: `expected a string in format "${String(params.format)}", received ${JSON.stringify(error.data)}` };
    case 'enum':
    case 'const':
    case 'anyOf':
    case 'oneOf':
      return {
        path: pointerToPath(error.instancePath),
        expected: `expected ${describeSchema(error.keyword === 'enum' || error.keyword === 'const' ? error.parentSchema : { [error.keyword]: error.schema })}, received ${JSON.stringify(error.data) ?? 'undefined'}`,
      };
    default:
      return { path: pointerToPath(error.instancePath), expected: error.message ?? `must satisfy "${error.keyword}"` };
  }
}
