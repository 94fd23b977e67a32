/**
 * The worker function as the service token of `Custom::LightbusSchemas`: deploy-time schema
 * publishing against the emulator's results table, answering a real HTTP server on 127.0.0.1 that
 * stands in for CloudFormation's pre-signed ResponseURL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createWorkerHandlerForBus, createSchemaResourceHandler, CustomResourceResponseError, isCustomResourceEvent } from '../../handlers';
import { provisionTopology } from '../../local/provision';
import { lightbus, silentLogger, z } from '../../runtime';
import { deployedSchemasPhysicalId, schemaContentHash, schemaItem, apiSchema, parseSchemaItem } from '../../runtime/schema';
import { uniqueName } from '../support/aws';
import { mathApi } from '../support/apis';

const greetApi = lightbus.api('greet', {
  rpcs: { hello: lightbus.rpc({ parameters: { name: z.string() }, response: z.string() }) },
});

interface Received {
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** CloudFormation's side of the ResponseURL: records each PUT; `failFirst` answers 500 that many times. */
class ResponseServer {
  public readonly received: Received[] = [];
  public failFirst = 0;
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (this.failFirst > 0) {
        this.failFirst -= 1;
        response.writeHead(500).end();
        return;
      }
      this.received.push({ method: request.method, headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      response.writeHead(200).end();
    });
  });

  public async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  public url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

const server = new ResponseServer();
const buses: { close(): Promise<void> }[] = [];

beforeAll(() => server.start());
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await server.stop();
});

async function serviceBus(options: { provision?: boolean; serviceName?: string } = {}) {
  const bus = lightbus.create({ busName: uniqueName('cr'), serviceName: options.serviceName ?? 'greeter', apis: [mathApi, greetApi], logger: silentLogger });
  bus.register(greetApi, { hello: ({ name }) => `hello ${name}` });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'done' });
  buses.push(bus);
  if (options.provision !== false) await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
  return bus;
}

type Bus = Awaited<ReturnType<typeof serviceBus>>;

let requests = 0;
const STACK_ID = 'arn:aws:cloudformation:us-east-1:000000000000:stack/Service/1';

/** The physical id the handler reports for the test's resource (logical id `Schemas`). */
function ownId(bus: Bus, logicalResourceId = 'Schemas'): string {
  return deployedSchemasPhysicalId(bus.settings.busName, bus.settings.serviceName as string, STACK_ID, logicalResourceId);
}

function event(bus: Bus, requestType: 'Create' | 'Update' | 'Delete', overrides: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  requests += 1;
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:worker',
    ResponseURL: server.url(`/response/${requests}?X-Amz-Signature=abc`),
    StackId: STACK_ID,
    RequestId: `request-${requests}`,
    LogicalResourceId: 'Schemas',
    ResourceType: 'Custom::LightbusSchemas',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:worker',
      BusName: bus.settings.busName,
      Service: bus.settings.serviceName,
      Apis: ['greet', 'math'],
      SchemaHash: schemaContentHash(bus),
    },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: ownId(bus) }),
    ...(requestType === 'Update' ? { OldResourceProperties: {} } : {}),
    ...overrides,
  } as CloudFormationCustomResourceEvent;
}

async function storedItem(bus: Bus, api: string) {
  const out = await bus.transports.clients.dynamoDb.send(
    new GetItemCommand({ TableName: bus.transports.location.resultsTable, Key: { pk: { S: `schema#${api}` } }, ConsistentRead: true }),
  );
  return out.Item;
}

function lastResponse(): Received {
  return server.received[server.received.length - 1]!;
}

describe('worker function: Custom::LightbusSchemas', () => {
  it('recognises custom-resource requests by shape', async () => {
    const bus = await serviceBus({ provision: false });
    expect(isCustomResourceEvent(event(bus, 'Create'))).toBe(true);
    expect(isCustomResourceEvent({ ...event(bus, 'Create'), RequestType: 'Poke' })).toBe(false);
    expect(isCustomResourceEvent({ RequestType: 'Create', StackId: 's', RequestId: 'r', LogicalResourceId: 'l' })).toBe(false);
    expect(isCustomResourceEvent({ Records: [] })).toBe(false);
  });

  it('Create: puts each registered API schema with no expiresAt, and PUTs SUCCESS to the ResponseURL', async () => {
    const bus = await serviceBus();
    const handler = createWorkerHandlerForBus(bus);
    const request = event(bus, 'Create');
    const response = await handler(request);
    const expectedId = ownId(bus);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expectedId });
    const sent = lastResponse();
    expect(sent.method).toBe('PUT');
    // The pre-signed URL is signed without a content type.
    expect(sent.headers['content-type'] ?? '').toBe('');
    expect(sent.body).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: expectedId,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: 'Schemas',
      Data: { Apis: 'greet,math', SchemaHash: schemaContentHash(bus) },
    });
    for (const [api, definition] of [['greet', greetApi], ['math', mathApi]] as const) {
      const item = await storedItem(bus, api);
      expect(item).toBeDefined();
      expect(item!.expiresAt).toBeUndefined();
      expect(item!.publishedBy).toEqual({ S: 'deploy:greeter' });
      const parsed = parseSchemaItem(item!);
      expect(parsed.ok && parsed.stored.schema.version).toBe(apiSchema(definition).version);
    }
  });

  it('Update: replaces a schema a running worker published (with an expiry) by the deployed one', async () => {
    const bus = await serviceBus();
    await bus.transports.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: bus.transports.location.resultsTable,
        Item: schemaItem(apiSchema(greetApi), { publishedBy: 'greeter/dev-laptop', expiresAtEpochSeconds: Math.ceil(Date.now() / 1000) + 600 }),
      }),
    );
    const response = await createSchemaResourceHandler(bus)(event(bus, 'Update'));
    expect(response.Status).toBe('SUCCESS');
    const item = await storedItem(bus, 'greet');
    expect(item!.expiresAt).toBeUndefined();
    expect(item!.publishedBy).toEqual({ S: 'deploy:greeter' });
  });

  it('Delete: deletes its own schemas, only for its own physical id, and never another publisher\'s', async () => {
    const bus = await serviceBus();
    const handler = createSchemaResourceHandler(bus);
    await handler(event(bus, 'Create'));

    // A Delete of another physical id (a Create that failed before reporting ours) touches nothing.
    expect(await handler(event(bus, 'Delete', { PhysicalResourceId: 'some-other-id' }))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expect.any(String) });
    expect(await storedItem(bus, 'greet')).toBeDefined();

    // math moved to another service, whose deployment now owns its schema: it stays.
    await bus.transports.clients.dynamoDb.send(
      new PutItemCommand({ TableName: bus.transports.location.resultsTable, Item: schemaItem(apiSchema(mathApi), { publishedBy: 'deploy:calculator' }) }),
    );
    const response = await handler(event(bus, 'Delete'));
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: 'greet' } });
    expect(lastResponse().body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ownId(bus) });
    expect(await storedItem(bus, 'greet')).toBeUndefined();
    expect((await storedItem(bus, 'math'))?.publishedBy).toEqual({ S: 'deploy:calculator' });

    // Deleting again (CloudFormation retries) succeeds.
    expect((await handler(event(bus, 'Delete'))).Status).toBe('SUCCESS');
  });

  it('Delete deletes only the APIs the function was deployed for, whatever APIs a crafted event names', async () => {
    const bus = await serviceBus();
    const handler = createSchemaResourceHandler(bus);
    await handler(event(bus, 'Create'));
    // An item that passes the Delete's condition (this very deployment's), of an API the bundle does not register.
    const billingApi = lightbus.api('billing', { rpcs: { charge: lightbus.rpc({ parameters: {}, response: z.string() }) } });
    await bus.transports.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: bus.transports.location.resultsTable,
        Item: { ...schemaItem(apiSchema(billingApi), { publishedBy: 'deploy:greeter' }), deployment: { S: ownId(bus) } },
      }),
    );
    const crafted = await handler(event(bus, 'Delete', { ResourceProperties: { ...event(bus, 'Create').ResourceProperties, Apis: ['billing'] } }));
    expect(crafted).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: 'greet,math' } });
    expect(await storedItem(bus, 'billing')).toBeDefined();
    expect(await storedItem(bus, 'greet')).toBeUndefined();
  });

  it('Delete of a replaced resource (renamed construct) leaves the schemas its replacement just wrote', async () => {
    const bus = await serviceBus();
    const handler = createSchemaResourceHandler(bus);
    await handler(event(bus, 'Create'));
    // CloudFormation creates the replacement (new logical id) first, then deletes the old one.
    const replacement = await handler(event(bus, 'Create', { LogicalResourceId: 'SchemasRenamed' }));
    expect(replacement.PhysicalResourceId).toBe(ownId(bus, 'SchemasRenamed'));
    expect(replacement.PhysicalResourceId).not.toBe(ownId(bus));
    const old = await handler(event(bus, 'Delete'));
    expect(old).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: '' } });
    expect((await storedItem(bus, 'greet'))?.deployment).toEqual({ S: ownId(bus, 'SchemasRenamed') });
  });

  it('answers FAILED with a reason naming what failed, and never throws', async () => {
    const bus = await serviceBus();
    const handler = createWorkerHandlerForBus(bus);

    const mismatch = await handler(event(bus, 'Create', { ResourceProperties: { ...event(bus, 'Create').ResourceProperties, Apis: ['greet'] } }));
    expect(mismatch).toMatchObject({ Status: 'FAILED', PhysicalResourceId: ownId(bus) });
    expect(lastResponse().body.Reason).toMatch(
      /Create of the schemas of service greeter on bus cr-\w+ failed: the template declares APIs \["greet"\], but the bundled bus module registers \["greet","math"\]/,
    );
    expect(await storedItem(bus, 'greet')).toBeUndefined();

    const wrongType = await handler(event(bus, 'Update', { ResourceType: 'Custom::Other' }));
    expect(wrongType.Status).toBe('FAILED');
    expect(lastResponse().body.Reason).toMatch(/serves only Custom::LightbusSchemas resources; got "Custom::Other"/);

    // No results table: the DynamoDB error, with the key and table, is the reason.
    const unprovisioned = await serviceBus({ provision: false });
    const noTable = await createSchemaResourceHandler(unprovisioned)(event(unprovisioned, 'Create'));
    expect(noTable.Status).toBe('FAILED');
    expect(lastResponse().body.Reason).toMatch(
      // The first write of a Create is the owner record's (one owning service per API), then the schemas.
      new RegExp(`PutItem of owner#greet, owner#math into table ${unprovisioned.transports.location.resultsTable} failed: ResourceNotFoundException`),
    );
  });

  it('retries the response PUT on a 5xx, and throws only when CloudFormation cannot be answered', async () => {
    const bus = await serviceBus();
    const handler = createSchemaResourceHandler(bus, { responseAttempts: 2 });
    server.failFirst = 1;
    const before = server.received.length;
    expect((await handler(event(bus, 'Create'))).Status).toBe('SUCCESS');
    expect(server.received).toHaveLength(before + 1);

    const unreachable = event(bus, 'Update', { ResponseURL: 'http://127.0.0.1:9/nothing-listens-here' });
    const unanswered = createSchemaResourceHandler(bus, { responseAttempts: 1 })(unreachable);
    await expect(unanswered).rejects.toThrow(/Could not PUT the SUCCESS response to CloudFormation's ResponseURL/);
    await expect(unanswered).rejects.toBeInstanceOf(CustomResourceResponseError);
    await expect(unanswered).rejects.toMatchObject({ context: { requestType: 'Update', status: 'SUCCESS' } });
  });

  it('stops retrying the response when the invocation is about to time out', async () => {
    const bus = await serviceBus();
    // Always 500: with 4 attempts the backoff alone would take 6 s; 1.6 s are left in this invocation.
    server.failFirst = 100;
    const context = { getRemainingTimeInMillis: () => 1600 };
    const started = Date.now();
    await expect(createSchemaResourceHandler(bus, { responseAttempts: 4 })(event(bus, 'Create'), context)).rejects.toThrow(/HTTP 500/);
    const failedAttempts = 100 - server.failFirst;
    server.failFirst = 0;
    expect(failedAttempts).toBeGreaterThanOrEqual(1);
    // A correctness bound, not a speed figure: the handler must be done before Lambda would kill
    // it (unbounded, its backoff alone would wait 1 + 2 + 3 s).
    expect(Date.now() - started).toBeLessThan(1600);
  });
});
