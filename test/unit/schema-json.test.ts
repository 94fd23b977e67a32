import { lightbus, silentLogger, z } from '../../runtime';
import { apiSchema, bytes, readApiSchema, schemaItem, schemaItems, parseSchemaItem, isExpired, toJsonSchema } from '../../runtime/schema';

const filesApi = lightbus.api('files', {
  description: 'File storage',
  rpcs: {
    put: lightbus.rpc({
      description: 'Stores a file',
      parameters: {
        name: z.string().min(1),
        content: bytes(),
        modifiedAt: z.date(),
        size: z.bigint().optional(),
        tags: z.set(z.string()).default(new Set(['new'])),
        owners: z.map(z.string(), z.object({ since: z.date() })).optional(),
        mode: z.enum(['private', 'public']).default('private'),
      },
      response: z.object({ id: z.string(), storedAt: z.date() }),
    }),
    ping: lightbus.rpc({}),
    maybe: lightbus.rpc({ response: z.string().optional() }),
  },
  events: {
    stored: lightbus.event({ parameters: { id: z.string(), raw: z.instanceof(Buffer) } }),
  },
});

describe('API schemas generated from zod', () => {
  const schema = apiSchema(filesApi);
  const put = schema.rpcs.put!;

  it('describes each RPC parameters object with required keys and no additional properties', () => {
    expect(put.parameters).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['name', 'content', 'modifiedAt'],
      additionalProperties: false,
    });
    expect(put.description).toBe('Stores a file');
    expect(schema.description).toBe('File storage');
  });

  it('represents types JSON Schema lacks as they travel, defaults included', () => {
    const p = (put.parameters as { properties: Record<string, unknown> }).properties;
    expect(p.modifiedAt).toEqual({ type: 'string', format: 'date-time' });
    expect(p.content).toMatchObject({ type: 'string', contentEncoding: 'base64' });
    expect(p.size).toMatchObject({ type: 'string', pattern: '^-?[0-9]+$' });
    expect(p.tags).toMatchObject({ type: 'array', uniqueItems: true, items: { type: 'string' }, default: ['new'] });
    expect(p.owners).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'object', properties: { since: { type: 'string', format: 'date-time' } } },
    });
    expect(p.mode).toEqual({ type: 'string', enum: ['private', 'public'], default: 'private' });
  });

  it('describes responses as the worker sends them; no value is JSON null', () => {
    expect(put.response).toMatchObject({
      type: 'object',
      properties: { storedAt: { type: 'string', format: 'date-time' } },
      required: ['id', 'storedAt'],
    });
    expect(schema.rpcs.ping!.response).toMatchObject({ type: 'null' });
    expect(schema.rpcs.maybe!.response).toMatchObject({ anyOf: [{ type: 'string' }, { type: 'null' }] });
  });

  it('describes event parameters; z.instanceof(Buffer) is bytes', () => {
    expect(schema.events.stored!.parameters).toMatchObject({
      type: 'object',
      properties: { raw: { type: 'string', contentEncoding: 'base64' } },
      required: ['id', 'raw'],
      additionalProperties: false,
    });
  });

  it('versions schemas by content: same definition, same version; a change, a new version', () => {
    const again = lightbus.api('files', { rpcs: { ping: lightbus.rpc({}) } });
    const changed = lightbus.api('files', { rpcs: { ping: lightbus.rpc({ parameters: { x: z.string() } }) } });
    expect(apiSchema(again).version).toBe(apiSchema(lightbus.api('files', { rpcs: { ping: lightbus.rpc({}) } })).version);
    expect(apiSchema(again).version).not.toBe(apiSchema(changed).version);
    expect(schema.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('round-trips through JSON and the document check', () => {
    const read = readApiSchema(JSON.parse(JSON.stringify(schema)));
    expect(read).toEqual({ ok: true, schema });
    expect(readApiSchema({ api: 'x' })).toMatchObject({ ok: false, problem: expect.stringContaining('lightbusSchema') });
  });

  it('makes unrepresentable types accept anything rather than fail', () => {
    expect(toJsonSchema(z.object({ f: z.custom<() => void>((v) => typeof v === 'function') }), 'input')).toMatchObject({
      properties: { f: {} },
    });
  });
});

describe('schema items', () => {
  const schema = apiSchema(filesApi);

  it('stores one item per API under pk "schema#<api>", with an optional expiresAt', () => {
    const item = schemaItem(schema, { publishedBy: 'files/p1', publishedAt: 1000, expiresAtEpochSeconds: 60 });
    expect(item).toMatchObject({
      pk: { S: 'schema#files' },
      kind: { S: 'schema' },
      api: { S: 'files' },
      version: { S: schema.version },
      publishedAt: { N: '1000' },
      publishedBy: { S: 'files/p1' },
      expiresAt: { N: '60' },
    });
    const parsed = parseSchemaItem(item);
    expect(parsed).toEqual({ ok: true, stored: { schema, publishedAt: 1000, publishedBy: 'files/p1', expiresAt: 60 } });
    expect(isExpired({ expiresAt: 60 })).toBe(true);
    expect(isExpired({ expiresAt: undefined })).toBe(false);
    expect(isExpired({ expiresAt: Math.floor(Date.now() / 1000) + 30 })).toBe(false);
  });

  it('schemaItems(bus) gives a deployed service its registered APIs, without expiry', () => {
    const bus = lightbus.create({ busName: 'b', serviceName: 'files', apis: [filesApi], logger: silentLogger });
    bus.register(filesApi, { put: async () => ({ id: '1', storedAt: new Date() }), ping: () => undefined, maybe: () => undefined });
    const items = schemaItems(bus, { publishedAt: 5 });
    expect(items).toHaveLength(1);
    expect(items[0]).not.toHaveProperty('expiresAt');
    expect(items[0]).toMatchObject({ pk: { S: 'schema#files' }, publishedBy: { S: 'deploy:files' } });
    expect(parseSchemaItem(items[0]!)).toMatchObject({ ok: true, stored: { schema, expiresAt: undefined } });
  });

  it('reports unreadable items', () => {
    expect(parseSchemaItem({ pk: { S: 'schema#x' } })).toMatchObject({ ok: false });
    expect(parseSchemaItem({ pk: { S: 'schema#x' }, schema: { S: '{' } })).toMatchObject({ ok: false, problem: expect.stringContaining('not JSON') });
  });
});
