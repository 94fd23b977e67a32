import type { z } from 'zod';
import { parseIsoDateTime } from './iso-date';
import { internals, isBytesSchema } from './types';

/**
 * Outgoing values become JSON: dates → ISO 8601, bytes → base64, sets → arrays, maps → objects,
 * bigint → string. (Incoming values are turned back by the schema, see `castIncoming`.)
 */
export function toWireValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Set) return [...value].map(toWireValue);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toWireValue(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toWireValue);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toWireValue(v);
    }
    return out;
  }
  return value;
}

/**
 * {@link toWireValue} without the copy when there is nothing to convert: a value that is JSON as
 * it is (strings, finite or not numbers, booleans, null, and plain objects and arrays of them,
 * with no `undefined` inside) comes back as the same object. For a caller that serialises the
 * result at once: it may be the caller's own object, so anything that reads it later must take
 * its own snapshot. Most parameters and results are plain JSON, and the copy (an entries array
 * and a pair per property, a new object per level) cost more than the rest of their validation.
 */
export function asWireValue(value: unknown): unknown {
  return isWireForm(value, 0) ? value : toWireValue(value);
}

/** Deeper than this, {@link asWireValue} stops looking and converts (and a cycle still fails as in toWireValue). */
const MAX_WIRE_CHECK_DEPTH = 32;

/** Whether `value` is already what {@link toWireValue} would make of it; allocates nothing. */
function isWireForm(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      // undefined (dropped from objects by the copy), bigint, functions, symbols: convert.
      return false;
  }
  if (depth >= MAX_WIRE_CHECK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) if (!isWireForm(value[index], depth + 1)) return false;
    return true;
  }
  // Only plain objects: a class instance (Date, Buffer, Map, one with toJSON) is converted as before.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    // for-in also walks inherited enumerable keys, which the copy (Object.entries) leaves out.
    if (!Object.hasOwn(record, key) || !isWireForm(record[key], depth + 1)) return false;
  }
  return true;
}

/** Turns one wire value back into a declared type. */
type Caster = (value: unknown) => unknown;

type ZodType = z.core.$ZodType;

/**
 * Casters compiled per schema object. `null` means "nothing in this schema needs casting", so
 * a message whose schema declares no dates, bytes, bigints, sets or maps costs one map lookup.
 */
const compiled = new WeakMap<ZodType, Caster | null>();
/** Schemas being compiled: meeting one again means a recursive schema (z.lazy, getters). */
const compiling = new Set<ZodType>();

/**
 * Converts incoming JSON values into the types the schema declares, before zod validates them:
 * ISO strings (or epoch milliseconds) → Date, base64 → Buffer, decimal strings → bigint,
 * arrays → Set, objects → Map, `null` → `undefined` where only undefined is allowed (a void
 * result). It walks optional/nullable/default/catch/readonly wrappers, objects, arrays, tuples,
 * records, unions, intersections, pipes and lazy schemas. Values that do not convert are left as
 * they are, for validation to report.
 */
export function castIncoming(schema: ZodType, value: unknown): unknown {
  const caster = casterFor(schema);
  return caster === null ? value : caster(value);
}

/** True when `castIncoming` can change anything for this schema. */
export function needsCasting(schema: ZodType): boolean {
  return casterFor(schema) !== null;
}

function casterFor(schema: ZodType): Caster | null {
  const cached = compiled.get(schema);
  if (cached !== undefined) return cached;
  if (compiling.has(schema)) {
    // A cycle: defer to whatever the outer compilation produces.
    return (value) => {
      const caster = compiled.get(schema);
      return caster ? caster(value) : value;
    };
  }
  compiling.add(schema);
  let caster: Caster | null;
  try {
    caster = compile(schema);
  } finally {
    compiling.delete(schema);
  }
  compiled.set(schema, caster);
  return caster;
}

const INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set);
}

/**
 * Epoch milliseconds, or an ISO 8601 date-time with an offset (iso-date.ts): anything else stays
 * as it is and fails validation. `new Date(text)` would read far more (`"1"` became 2001-01-01,
 * a string without an offset the worker's own local time).
 */
function castDate(value: unknown): unknown {
  if (typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date;
  }
  if (typeof value === 'string') return parseIsoDateTime(value) ?? value;
  return value;
}

function castBytes(value: unknown): unknown {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) return value;
  return Buffer.from(value, 'base64');
}

function castBigInt(value: unknown): unknown {
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

/** Keys of a Map arrive as object keys (strings): cast them to the declared key type. */
function keyCaster(keySchema: ZodType): Caster | null {
  const base = unwrap(keySchema);
  switch (internals(base).def.type) {
    case 'number':
      return (key) => (typeof key === 'string' && key.trim() !== '' && !Number.isNaN(Number(key)) ? Number(key) : key);
    case 'bigint':
      return castBigInt;
    case 'date':
      return castDate;
    default:
      return casterFor(keySchema);
  }
}

function unwrap(schema: ZodType): ZodType {
  let current = schema;
  for (;;) {
    const def = internals(current).def;
    if ('innerType' in def && def.innerType) current = def.innerType as ZodType;
    else if (def.type === 'pipe') current = def.in as ZodType;
    else return current;
  }
}

function acceptsNull(schema: ZodType): boolean {
  return (schema as z.ZodType).safeParse(null).success;
}

function compile(schema: ZodType): Caster | null {
  const zod = internals(schema);
  const def = zod.def;
  switch (def.type) {
    case 'date':
      return castDate;
    case 'bigint':
      return castBigInt;
    case 'custom':
      return isBytesSchema(schema) ? castBytes : null;
    case 'void':
    case 'undefined':
      // `undefined` travels as JSON null (a void procedure's result).
      return (value) => (value === null ? undefined : value);
    case 'optional': {
      const inner = def.innerType as ZodType;
      const innerCaster = casterFor(inner);
      const nullToUndefined = !acceptsNull(inner);
      if (!innerCaster && !nullToUndefined) return null;
      return (value) => {
        if (value === undefined) return value;
        if (value === null) return nullToUndefined ? undefined : innerCaster ? innerCaster(value) : value;
        return innerCaster ? innerCaster(value) : value;
      };
    }
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
    case 'success': {
      const innerCaster = casterFor(def.innerType as ZodType);
      if (!innerCaster) return null;
      return (value) => (value === undefined || value === null ? value : innerCaster(value));
    }
    case 'pipe':
      return casterFor(def.in as ZodType);
    case 'lazy':
      return casterFor((def.getter as () => ZodType)());
    case 'array': {
      const element = casterFor(def.element as ZodType);
      if (!element) return null;
      return (value) => (Array.isArray(value) ? value.map(element) : value);
    }
    case 'set': {
      const element = casterFor(def.valueType as ZodType);
      return (value) => (Array.isArray(value) ? new Set(element ? value.map(element) : value) : value);
    }
    case 'map': {
      const key = keyCaster(def.keyType as ZodType);
      const val = casterFor(def.valueType as ZodType);
      return (value) => {
        if (Array.isArray(value)) {
          // Also accept [[key, value], ...] pairs.
          if (!value.every((pair) => Array.isArray(pair) && pair.length === 2)) return value;
          return new Map(value.map(([k, v]: unknown[]) => [key ? key(k) : k, val ? val(v) : v]));
        }
        if (!isPlainObject(value)) return value;
        return new Map(Object.entries(value).map(([k, v]) => [key ? key(k) : k, val ? val(v) : v]));
      };
    }
    case 'record': {
      const val = casterFor(def.valueType as ZodType);
      if (!val) return null;
      return (value) => {
        if (!isPlainObject(value)) return value;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = val(v);
        return out;
      };
    }
    case 'object': {
      const shape = def.shape as Record<string, ZodType>;
      const fields: [string, Caster][] = [];
      for (const key of Object.keys(shape)) {
        const caster = casterFor(shape[key] as ZodType);
        if (caster) fields.push([key, caster]);
      }
      const catchall = def.catchall ? casterFor(def.catchall as ZodType) : null;
      if (fields.length === 0 && !catchall) return null;
      return (value) => {
        if (!isPlainObject(value)) return value;
        const out: Record<string, unknown> = { ...value };
        for (const [key, caster] of fields) {
          if (Object.prototype.hasOwnProperty.call(value, key)) out[key] = caster(value[key]);
        }
        if (catchall) {
          for (const key of Object.keys(value)) {
            if (!Object.prototype.hasOwnProperty.call(shape, key)) out[key] = catchall(value[key]);
          }
        }
        return out;
      };
    }
    case 'tuple': {
      const items = (def.items as ZodType[]).map((item) => casterFor(item));
      const rest = def.rest ? casterFor(def.rest as ZodType) : null;
      if (items.every((c) => c === null) && !rest) return null;
      return (value) => {
        if (!Array.isArray(value)) return value;
        return value.map((element, i) => {
          const caster = i < items.length ? items[i] : rest;
          return caster ? caster(element) : element;
        });
      };
    }
    case 'union': {
      const options = (def.options as ZodType[]).map((option) => ({ option: option as z.ZodType, caster: casterFor(option) }));
      if (options.every((o) => o.caster === null)) return null;
      // The first option that accepts the value (as is, or once cast) wins, as zod's own union does.
      return (value) => {
        for (const { option, caster } of options) {
          const candidate = caster ? caster(value) : value;
          if (option.safeParse(candidate).success) return candidate;
        }
        return value;
      };
    }
    case 'intersection': {
      const left = casterFor(def.left as ZodType);
      const right = casterFor(def.right as ZodType);
      if (!left && !right) return null;
      return (value) => {
        const once = left ? left(value) : value;
        return right ? right(once) : once;
      };
    }
    default:
      return null;
  }
}
