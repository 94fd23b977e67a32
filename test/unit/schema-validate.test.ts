import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lightbus, silentLogger, UnknownApiError, UnknownMemberError, ValidationError, z, type Logger } from '../../runtime';
import {
  apiSchema,
  BusSchemas,
  bytes,
  JsonSchemaValidators,
  parseOrThrow,
  pointerToPath,
  type SchemaLookup,
  type SchemaStore,
} from '../../runtime/schema';
import { readSchemaDump, writeSchemaDump } from '../../local/schema-dump';

const usersApi = lightbus.api('users', {
  rpcs: {
    create: lightbus.rpc({
      parameters: {
        username: z.string().min(3),
        born: z.date(),
        avatar: bytes().optional(),
        address: z.object({ street: z.string(), postcode: z.string().regex(/^\d{5}$/) }).optional(),
        roles: z.array(z.enum(['admin', 'user'])).default(['user']),
        contact: z.union([z.email(), z.number().int()]).optional(),
      },
      response: z.object({ id: z.uuid(), createdAt: z.date() }),
    }),
  },
  events: { created: lightbus.event({ parameters: { id: z.string() } }) },
});
const schema = apiSchema(usersApi);
const outgoing = { api: 'users', member: 'create', direction: 'outgoing', part: 'parameters', what: 'parameters' } as const;

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('validation against JSON Schema (ajv)', () => {
  const validators = new JsonSchemaValidators();
  const valid = { username: 'ada', born: '1815-12-10T00:00:00.000Z', address: { street: 'x', postcode: '12345' } };

  it('accepts wire values that match', () => {
    expect(() => validators.check(schema, 'rpc', 'create', valid, outgoing)).not.toThrow();
    expect(() => validators.check(schema, 'event', 'created', { id: 'u1' }, { ...outgoing, member: 'created', what: 'event parameters' })).not.toThrow();
  });

  it('names the API, member, JSON path of each failing value and what was expected', () => {
    const error = validationError(() =>
      validators.check(
        schema,
        'rpc',
        'create',
        { username: 'a', born: 'yesterday', address: { street: 1, postcode: 'abc' }, roles: ['root'], contact: true, extra: 1 },
        outgoing,
      ),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.context).toMatchObject({ api: 'users', member: 'create', direction: 'outgoing', part: 'parameters' });
    expect(error.message).toContain('users.create');
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.expected]));
    expect(byPath['$.extra']).toBe('no such parameter (unexpected key)');
    expect(byPath['$.username']).toMatch(/fewer than 3 characters/);
    expect(byPath['$.born']).toBe('expected a string in format "date-time", received "yesterday"');
    expect(byPath['$.address.street']).toBe('expected string, received number');
    expect(byPath['$.address.postcode']).toMatch(/pattern/);
    expect(byPath['$.roles[0]']).toMatch(/expected one of "admin", "user"/);
    expect(byPath['$.contact']).toMatch(/expected string \(email\) or integer, received true/);
  });

  it('reports missing required parameters with their expected type', () => {
    const error = validationError(() => validators.check(schema, 'rpc', 'create', {}, outgoing));
    expect(error.issues).toEqual([
      { path: '$.username', expected: 'expected string, but it is missing (required)' },
      { path: '$.born', expected: 'expected string (date-time), but it is missing (required)' },
    ]);
  });

  it('validates results', () => {
    const incoming = { ...outgoing, direction: 'incoming', part: 'response', what: 'result' } as const;
    const error = validationError(() => validators.check(schema, 'rpc', 'create', { id: 'nope', createdAt: '2024-01-01T00:00:00Z' }, incoming));
    expect(error.issues).toEqual([{ path: '$.id', expected: 'expected a string in format "uuid", received "nope"' }]);
    expect(error.message).toMatch(/^Invalid result/);
  });

  it('compiles each member schema once per version', () => {
    const fresh = new JsonSchemaValidators();
    for (let i = 0; i < 5; i += 1) fresh.check(schema, 'rpc', 'create', valid, outgoing);
    expect(fresh.size).toBe(1);
    const changed = { ...schema, version: 'other' };
    fresh.check(changed, 'rpc', 'create', valid, outgoing);
    expect(fresh.size).toBe(2);
  });

  it('refuses a member the schema does not have', () => {
    expect(() => validators.check(schema, 'rpc', 'delete', {}, outgoing)).toThrow(UnknownMemberError);
  });

  it('handles recursive schemas', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));
    const treeApi = lightbus.api('tree', { rpcs: { put: lightbus.rpc({ parameters: { root: node } }) } });
    const treeSchema = apiSchema(treeApi);
    const ctx = { ...outgoing, api: 'tree', member: 'put' };
    expect(() => validators.check(treeSchema, 'rpc', 'put', { root: { name: 'a', children: [{ name: 'b', children: [] }] } }, ctx)).not.toThrow();
    const error = validationError(() => validators.check(treeSchema, 'rpc', 'put', { root: { name: 'a', children: [{ name: 2, children: [] }] } }, ctx));
    expect(error.issues.map((i) => i.path)).toEqual(['$.root.children[0].name']);
  });

  it('turns JSON pointers into JSON paths', () => {
    expect(pointerToPath('')).toBe('$');
    expect(pointerToPath('/a/0/b~1c', 'd')).toBe('$.a[0].b/c.d');
  });
});

describe('validation with zod (local definitions)', () => {
  it('names the path and what was expected', () => {
    const error = validationError(() =>
      parseOrThrow(usersApi.rpcs.create.parameters, { username: 'ada', born: 'x', address: { street: 's', postcode: '1' }, zzz: 1 }, outgoing),
    );
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.expected]));
    expect(byPath['$.born']).toMatch(/expected date/);
    expect(byPath['$.address.postcode']).toMatch(/Invalid string/);
    expect(byPath['$.zzz']).toBe('no such parameter (unexpected key)');
  });
});

/** A schema store that answers from memory and counts reads. */
function memoryStore(answers: Record<string, SchemaLookup>) {
  const reads: string[] = [];
  const store = {
    table: 'memory',
    get: async (api: string) => {
      reads.push(api);
      return answers[api] ?? { state: 'missing' };
    },
  } as unknown as SchemaStore;
  return { store, reads };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (message: string) => warnings.push(message) };
}

describe('BusSchemas: remote schemas, cached', () => {
  const future = Math.floor(Date.now() / 1000) + 600;
  const found: SchemaLookup = { state: 'found', stored: { schema, publishedAt: 1, publishedBy: 'users/w1', expiresAt: future } };

  it('reads a schema once and serves it from cache until the refresh interval passes', async () => {
    const { store, reads } = memoryStore({ users: found });
    const schemas = new BusSchemas({ store: () => store, logger: silentLogger });
    const results = await Promise.all([schemas.resolve('users'), schemas.resolve('users')]);
    await schemas.resolve('users');
    expect(results.map((r) => r.schema?.version)).toEqual([schema.version, schema.version]);
    expect(reads).toEqual(['users']);
    schemas.refreshIntervalMs = 0;
    await schemas.resolve('users');
    expect(reads).toEqual(['users', 'users']);
  });

  it('strict: a missing or expired schema is an UnknownApiError saying why', async () => {
    const expired: SchemaLookup = { state: 'expired', stored: { schema, publishedAt: 1, publishedBy: 'users/w1', expiresAt: 10 } };
    const { store } = memoryStore({ users: expired });
    const schemas = new BusSchemas({ store: () => store, logger: silentLogger });
    await expect(schemas.forUndefinedApi('users', true, [])).rejects.toThrow(UnknownApiError);
    await expect(schemas.forUndefinedApi('users', true, [])).rejects.toThrow(/expired at 1970-01-01T00:00:10.000Z/);
    await expect(schemas.forUndefinedApi('other', true, ['users'])).rejects.toThrow(/no schema is published/);
  });

  it('non-strict: warns (once a minute per API) and lets the message go unvalidated', async () => {
    const { store } = memoryStore({});
    const logger = recordingLogger();
    const schemas = new BusSchemas({ store: () => store, logger });
    await expect(schemas.forUndefinedApi('users', false, [])).resolves.toBeUndefined();
    await expect(schemas.forUndefinedApi('users', false, [])).resolves.toBeUndefined();
    expect(logger.warnings).toEqual(['No schema for API "users": sending without validation']);
  });

  it('a schema that expires while cached is dropped without waiting for the refresh', async () => {
    const soon: SchemaLookup = { state: 'found', stored: { schema, publishedAt: 1, publishedBy: 'w', expiresAt: Math.floor(Date.now() / 1000) } };
    const { store, reads } = memoryStore({ users: soon });
    const schemas = new BusSchemas({ store: () => store, logger: silentLogger });
    await schemas.resolve('users');
    await schemas.resolve('users');
    expect(reads.length).toBe(2);
  });

  it('a store failure counts as no schema, with the reason', async () => {
    const store = { table: 't', get: async () => Promise.reject(new Error('boom')) } as unknown as SchemaStore;
    const schemas = new BusSchemas({ store: () => store, logger: silentLogger });
    await expect(schemas.forUndefinedApi('users', true, [])).rejects.toThrow(/could not be read: Error: boom/);
  });

  it('pinned schemas (run --schema) win and need no store', async () => {
    const schemas = new BusSchemas({ store: () => { throw new Error('not used'); }, logger: silentLogger });
    schemas.pin([schema]);
    expect((await schemas.resolve('users')).schema).toBe(schema);
    expect(schemas.pinnedApis).toEqual(['users']);
  });
});

describe('schema dumps', () => {
  const other = apiSchema(lightbus.api('other', { events: { e: lightbus.event({}) } }));

  it('writes one file per API to a directory and reads it back', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lb-dump-')), 'schemas');
    const files = writeSchemaDump(dir, 'bus', [schema, other]);
    expect(readdirSync(dir).sort()).toEqual(['other.json', 'users.json']);
    expect(files).toHaveLength(2);
    expect(readSchemaDump(dir)).toEqual([other, schema]);
  });

  it('writes a combined file and reads it back', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lb-dump-')), 'all.json');
    writeSchemaDump(file, 'bus', [schema, other]);
    expect(readSchemaDump(file)).toEqual([schema, other]);
  });

  it('says what is wrong with a file that is not a dump', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lb-dump-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ api: 'x' }));
    expect(() => readSchemaDump(file)).toThrow(/is not a lightbus API schema/);
    expect(() => readSchemaDump(join(tmpdir(), 'does-not-exist.json'))).toThrow(/does not exist/);
  });
});

describe('a loaded dump (run --schema) checks calls to other services on top of local definitions', () => {
  it('refuses what production would refuse, before sending', async () => {
    const production = apiSchema(lightbus.api('users', { rpcs: { create: lightbus.rpc({ parameters: { username: z.string() } }) } }));
    // Development's definition is newer: it has a parameter production does not know yet.
    const newer = lightbus.api('users', {
      rpcs: { create: lightbus.rpc({ parameters: { username: z.string(), nickname: z.string().optional() } }) },
    });
    const bus = lightbus.create({ busName: 'unit', apis: [newer], logger: silentLogger });
    bus.schemas.pin([production]);
    const error = await bus.call('users.create', { username: 'ada', nickname: 'A' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: '$.nickname', expected: 'no such parameter (unexpected key)' }]);
    expect((error as ValidationError).message).toContain(`users@${production.version}`);
    await bus.close();
  });
});
