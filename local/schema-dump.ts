import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BusClient } from '../runtime/client';
import { ConfigurationError } from '../runtime/errors';
import { apiSchema, readApiSchema, type ApiSchema } from '../runtime/schema';

/** A combined dump: every API's schema in one file. One-file-per-API dumps hold an `ApiSchema` each. */
export interface SchemaDump {
  readonly lightbusSchemaDump: 1;
  readonly bus: string;
  readonly generatedAt: string;
  readonly apis: Readonly<Record<string, ApiSchema>>;
}

/** Where each dumped schema came from. */
export type SchemaOrigin = 'definition' | 'bus' | 'schema file';

export interface CollectedSchemas {
  readonly schemas: ApiSchema[];
  readonly origins: ReadonlyMap<string, SchemaOrigin>;
  /** Schemas on the bus that were skipped (expired, unreadable) or the reason the bus could not be read. */
  readonly notes: string[];
}

/**
 * The schemas a bus knows: its own definitions (registered or imported), loaded dumps, and —
 * unless `remote` is false — the live schemas published on the bus for every other API.
 */
export async function collectSchemas(bus: BusClient, options: { remote: boolean }): Promise<CollectedSchemas> {
  const byApi = new Map<string, ApiSchema>();
  const origins = new Map<string, SchemaOrigin>();
  const notes: string[] = [];
  for (const definition of bus.registry.definitions) {
    byApi.set(definition.name, apiSchema(definition));
    origins.set(definition.name, 'definition');
  }
  for (const api of bus.schemas.pinnedApis) {
    if (byApi.has(api)) continue;
    byApi.set(api, bus.schemas.pinned(api) as ApiSchema);
    origins.set(api, 'schema file');
  }
  if (options.remote) {
    try {
      const { stored, invalid } = await bus.schemaStore.list();
      const now = Date.now();
      for (const entry of stored) {
        const api = entry.schema.api;
        if (byApi.has(api)) continue;
        if (entry.expiresAt !== undefined && entry.expiresAt * 1000 <= now) {
          notes.push(`skipped ${api}: its schema (published by ${entry.publishedBy}) expired at ${new Date(entry.expiresAt * 1000).toISOString()}`);
          continue;
        }
        byApi.set(api, entry.schema);
        origins.set(api, 'bus');
      }
      for (const bad of invalid) notes.push(`skipped ${bad.api}: ${bad.problem}`);
    } catch (error) {
      notes.push(`could not read the schemas published on the bus (table ${bus.schemaStore.table}): ${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  const schemas = [...byApi.values()].sort((a, b) => a.api.localeCompare(b.api));
  return { schemas, origins, notes };
}

/** `--out` names a file when it ends in `.json`; anything else is a directory (one file per API). */
export function isFileTarget(out: string): boolean {
  if (existsSync(out) && statSync(out).isDirectory()) return false;
  return out.toLowerCase().endsWith('.json');
}

export function combinedDump(busName: string, schemas: readonly ApiSchema[]): SchemaDump {
  return {
    lightbusSchemaDump: 1,
    bus: busName,
    generatedAt: new Date().toISOString(),
    apis: Object.fromEntries(schemas.map((s) => [s.api, s])),
  };
}

/** Writes a dump: one combined file, or a directory with `<api>.json` per API. Returns the files written. */
export function writeSchemaDump(out: string, busName: string, schemas: readonly ApiSchema[]): string[] {
  const target = resolve(out);
  if (isFileTarget(target)) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(combinedDump(busName, schemas), null, 2)}\n`);
    return [target];
  }
  mkdirSync(target, { recursive: true });
  return schemas.map((schema) => {
    const file = join(target, `${schema.api}.json`);
    writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
    return file;
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(`--schema: ${file} is not readable JSON: ${(error as Error).message}`, { path: file });
  }
}

/** The schemas in one JSON document: a combined dump or a single API schema. */
function schemasIn(file: string, json: unknown): ApiSchema[] {
  if (typeof json === 'object' && json !== null && 'lightbusSchemaDump' in json) {
    const apis = (json as { apis?: unknown }).apis;
    if (typeof apis !== 'object' || apis === null) {
      throw new ConfigurationError(`--schema: ${file} is a schema dump without an "apis" object.`, { path: file });
    }
    return Object.entries(apis).map(([name, value]) => checked(`${file} (apis.${name})`, value));
  }
  return [checked(file, json)];
}

function checked(where: string, value: unknown): ApiSchema {
  const read = readApiSchema(value);
  if (!read.ok) {
    throw new ConfigurationError(
      `--schema: ${where} is not a lightbus API schema (as written by \`lightbus dumpschema\`): ${read.problem}`,
      { path: where },
    );
  }
  return read.schema;
}

/** Reads a dump written by `lightbus dumpschema`: a combined file, one API's file, or a directory of them. */
export function readSchemaDump(path: string): ApiSchema[] {
  const target = resolve(path);
  if (!existsSync(target)) throw new ConfigurationError(`--schema: ${target} does not exist.`, { path: target });
  if (statSync(target).isDirectory()) {
    const files = readdirSync(target)
      .filter((name) => name.toLowerCase().endsWith('.json'))
      .sort()
      .map((name) => join(target, name));
    if (files.length === 0) throw new ConfigurationError(`--schema: the directory ${target} holds no .json files.`, { path: target });
    return files.flatMap((file) => schemasIn(file, readJson(file)));
  }
  return schemasIn(target, readJson(target));
}
