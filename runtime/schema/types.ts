// A namespace import: bundlers keep the zod code used. `import { z }` keeps all of zod, its locales too (~360 kB).
import * as z from 'zod';

/** True for the values lightbus sends as bytes: a Buffer or any Uint8Array. */
export function isBytesValue(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * A bytes parameter or result: a Buffer or Uint8Array in code, a base64 string on the wire
 * (`{ "type": "string", "contentEncoding": "base64" }` in the JSON Schema). Incoming values are
 * turned back into a Buffer when casting is on. `z.instanceof(Buffer)` and
 * `z.instanceof(Uint8Array)` are recognised too.
 *
 * @example
 * const upload = lightbus.rpc({ parameters: { name: z.string(), content: bytes() }, response: z.number() });
 */
export function bytes(params: { readonly message?: string } = {}): z.ZodCustom<Uint8Array, Uint8Array> {
  return z.custom<Uint8Array>(isBytesValue, {
    message: params.message ?? 'Invalid input: expected bytes (a Buffer or Uint8Array; base64 on the wire)',
  });
}

/** The zod internals lightbus reads to walk a schema (zod v4's `_zod.def` and `_zod.bag`). */
export interface ZodInternals {
  readonly def: { readonly type: string; readonly [key: string]: unknown };
  readonly bag: { readonly Class?: unknown; readonly [key: string]: unknown };
}

export function internals(schema: z.core.$ZodType): ZodInternals {
  return (schema as unknown as { _zod: ZodInternals })._zod;
}

/** A schema declared with `bytes()`, `z.instanceof(Buffer)` or `z.instanceof(Uint8Array)`. */
export function isBytesSchema(schema: z.core.$ZodType): boolean {
  const zod = internals(schema);
  if (zod.def.type !== 'custom') return false;
  return zod.def.fn === isBytesValue || zod.bag.Class === Buffer || zod.bag.Class === Uint8Array;
}
