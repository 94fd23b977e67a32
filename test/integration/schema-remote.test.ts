import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  bytes,
  createLogger,
  lightbus,
  RemoteError,
  RpcTimeoutError,
  UnknownApiError,
  UnknownMemberError,
  ValidationError,
  z,
  type Logger,
} from '../../runtime';
import { apiSchema, schemaItem, schemaItems, schemaKey } from '../../runtime/schema';
import { provisionTopology } from '../../local';
import { eventually, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

/** The files API: dates and bytes both ways. Only the service has this definition. */
const filesApi = lightbus.api('files', {
  rpcs: {
    put: lightbus.rpc({
      parameters: { name: z.string().min(1), content: bytes(), modifiedAt: z.date(), tags: z.array(z.string()).default([]) },
      response: z.object({ name: z.string(), size: z.number().int(), storedAt: z.date(), echo: bytes(), modifiedAt: z.date() }),
    }),
    touch: lightbus.rpc({ parameters: { at: z.date() }, response: z.date() }),
  },
  events: {
    stored: lightbus.event({ parameters: { name: z.string(), storedAt: z.date(), digest: bytes() } }),
  },
});

const STORED_AT = new Date('2030-01-02T03:04:05.678Z');

function filesService(options: { busName?: string; seen?: unknown[] } = {}) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'files', apis: [filesApi], ...(options.busName ? { busName: options.busName } : {}) })));
  bus.register(filesApi, {
    put: (parameters) => {
      options.seen?.push(parameters);
      return { name: parameters.name, size: parameters.content.length, storedAt: STORED_AT, echo: parameters.content, modifiedAt: parameters.modifiedAt };
    },
    touch: ({ at }) => new Date(at.getTime() + 1000),
  });
  return bus;
}

/** A logger that records warnings (and prints everything when LIGHTBUS_TEST_LOGS is set). */
function recordingLogger(): Logger & { warnings: { message: string; fields: unknown }[] } {
  const inner = process.env.LIGHTBUS_TEST_LOGS ? createLogger({ level: 'debug', format: 'pretty' }) : undefined;
  const warnings: { message: string; fields: unknown }[] = [];
  return {
    warnings,
    debug: (m, f) => inner?.debug(m, f),
    info: (m, f) => inner?.info(m, f),
    warn: (m, f) => {
      warnings.push({ message: m, fields: f });
      inner?.warn(m, f);
    },
    error: (m, f) => inner?.error(m, f),
  };
}

/** A caller with no definitions at all: it knows the files API only by name. */
function bareCaller(busName: string, strict: boolean, logger?: Logger) {
  return track(
    lightbus.create(
      testBusOptions({ busName, apiSettings: { default: { strictValidation: strict } }, ...(logger ? { logger } : {}) }),
    ),
  );
}

describe('schemas published on the bus', () => {
  it('a running worker publishes its schemas; a caller without the definition validates against them', async () => {
    const seen: unknown[] = [];
    const service = filesService({ seen });
    await startWorker(service);
    const caller = bareCaller(service.settings.busName, true);

    const result = (await caller.call('files.put', {
      name: 'a.txt',
      content: Buffer.from('hello'),
      modifiedAt: new Date('2024-05-06T07:08:09.000Z'),
    })) as Record<string, unknown>;
    // No definition, so no casting: the caller gets the JSON the worker sent.
    expect(result).toEqual({
      name: 'a.txt',
      size: 5,
      storedAt: STORED_AT.toISOString(),
      echo: Buffer.from('hello').toString('base64'),
      modifiedAt: '2024-05-06T07:08:09.000Z',
    });
    // The worker cast the wire values back into a Date and a Buffer before its handler ran.
    expect(seen).toHaveLength(1);
    const received = seen[0] as { content: unknown; modifiedAt: unknown; tags: unknown };
    expect(received.modifiedAt).toEqual(new Date('2024-05-06T07:08:09.000Z'));
    expect(Buffer.isBuffer(received.content)).toBe(true);
    expect(received.tags).toEqual([]);

    // Invalid parameters fail at the caller, before anything is sent, naming path and expectation.
    const error = await caller.call('files.put', { name: '', content: 42, modifiedAt: 'soon', colour: 'red' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    const issues = Object.fromEntries((error as ValidationError).issues.map((i) => [i.path, i.expected]));
    expect(issues).toMatchObject({
      '$.name': expect.stringMatching(/fewer than 1 character/),
      '$.content': 'expected string (base64), received number',
      '$.modifiedAt': 'expected a string in format "date-time", received "soon"',
      '$.colour': 'no such parameter (unexpected key)',
    });
    expect((error as ValidationError).message).toMatch(/files\.put/);
    expect(seen).toHaveLength(1);

    // A member the published schema does not have.
    await expect(caller.call('files.remove', {})).rejects.toThrow(UnknownMemberError);

    // The item carries a TTL.
    const item = await caller.transports.clients.dynamoDb.send(
      new GetItemCommand({ TableName: caller.transports.location.resultsTable, Key: { pk: { S: schemaKey('files') } } }),
    );
    expect(item.Item?.version?.S).toBe(apiSchema(filesApi).version);
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it('strict: an API with neither a definition nor a schema is refused', async () => {
    const service = filesService();
    await provisionTopology(service.topology(), service.transports.clients, service.logger);
    const caller = bareCaller(service.settings.busName, true);
    const error = await caller.call('files.put', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownApiError);
    expect((error as Error).message).toMatch(/no schema is published on the bus/);
  });

  it('an expired schema: strict refuses; non-strict warns and sends unvalidated', async () => {
    const service = filesService();
    await provisionTopology(service.topology(), service.transports.clients, service.logger);
    const past = Math.floor(Date.now() / 1000) - 120;
    await service.schemaStore.put(schemaItem(apiSchema(filesApi), { publishedBy: 'files/gone', expiresAtEpochSeconds: past }));

    const strict = bareCaller(service.settings.busName, true);
    await expect(strict.call('files.touch', { at: new Date() })).rejects.toThrow(/expired at .* \(no worker has refreshed it\)/);

    const logger = recordingLogger();
    const lenient = bareCaller(service.settings.busName, false, logger);
    // Unvalidated: even a wrong parameter goes out (nobody serves it, so it times out).
    await expect(lenient.call('files.touch', { at: 'not a date', extra: true }, { timeoutMs: 300 })).rejects.toThrow(RpcTimeoutError);
    expect(logger.warnings).toEqual([
      { message: 'No schema for API "files": sending without validation', fields: expect.objectContaining({ reason: expect.stringMatching(/expired/) }) },
    ]);
    const queueUrl = await service.transports.queues.locator.url(service.topology().rpcQueues[0]!.queueName);
    const received = await service.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}')).toMatchObject({ api: 'files', procedure: 'touch', parameters: { at: 'not a date', extra: true } });
  });

  it('a worker that stops lets its schema expire; a deployed schema is never replaced by a worker', async () => {
    const service = filesService();
    const worker = await startWorker(service, { schemaTtlSeconds: 1 });
    const caller = bareCaller(service.settings.busName, true);
    await expect(caller.call('files.touch', { at: new Date(0) })).resolves.toBe('1970-01-01T00:00:01.000Z');
    await worker.stop();
    caller.schemas.refreshIntervalMs = 0;
    await eventually(
      () => caller.call('files.touch', { at: new Date(0) }, { timeoutMs: 200 }).then(() => false, (e: unknown) => e instanceof UnknownApiError),
      10_000,
      'the stopped worker\'s schema to expire',
    );

    // Deployed: no expiresAt. A worker starting on that bus keeps it.
    const deployed = schemaItems(service);
    await service.schemaStore.put(deployed[0]!);
    const again = filesService({ busName: service.settings.busName });
    await startWorker(again, { schemaTtlSeconds: 1 });
    const stored = await service.schemaStore.get('files');
    expect(stored).toMatchObject({ state: 'found', stored: { publishedBy: 'deploy:files', expiresAt: undefined } });
  });

  it('the worker validates incoming parameters even when the caller did not', async () => {
    const service = filesService();
    await startWorker(service);
    const careless = track(
      lightbus.create(testBusOptions({ busName: service.settings.busName, apis: [filesApi], apiSettings: { files: { validate: { outgoing: false } } } })),
    );
    const error = await careless.files.touch({ at: 'Tuesday' as unknown as Date }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).remoteName).toBe('ValidationError');
    expect((error as RemoteError).message).toMatch(/\$\.at: .*expected date/);
  });
});

describe('casting through the emulator', () => {
  it('a procedure takes and returns a Date and bytes; the caller gets them back typed', async () => {
    const seen: unknown[] = [];
    const service = filesService({ seen });
    await startWorker(service);
    const caller = track(lightbus.create(testBusOptions({ busName: service.settings.busName, apis: [filesApi] })));
    const content = Buffer.from([0, 1, 2, 253, 254, 255]);
    const modifiedAt = new Date('2001-02-03T04:05:06.007Z');
    const result = await caller.files.put({ name: 'bin', content, modifiedAt });
    expect(result.storedAt).toBeInstanceOf(Date);
    expect(result.storedAt.getTime()).toBe(STORED_AT.getTime());
    expect(result.modifiedAt.getTime()).toBe(modifiedAt.getTime());
    expect(Buffer.isBuffer(result.echo)).toBe(true);
    expect(Buffer.compare(result.echo as Buffer, content)).toBe(0);
    expect(result.size).toBe(6);
    const touched = await caller.files.touch({ at: modifiedAt });
    expect(touched).toEqual(new Date(modifiedAt.getTime() + 1000));
  });

  it('a listener receives event parameters cast back to Date and bytes', async () => {
    const service = filesService();
    const received: unknown[] = [];
    const listener = track(lightbus.create(testBusOptions({ busName: service.settings.busName, serviceName: 'audit', apis: [filesApi] })));
    listener.files.stored.listen((_event, parameters) => void received.push(parameters), { listenerName: 'audit' });
    await startWorker(listener);
    await service.files.stored.fire({ name: 'x', storedAt: STORED_AT, digest: Buffer.from('abc') });
    await eventually(() => received.length === 1, 15_000, 'the event');
    const parameters = received[0] as { storedAt: unknown; digest: unknown };
    expect(parameters.storedAt).toEqual(STORED_AT);
    expect(Buffer.from(parameters.digest as Buffer).toString()).toBe('abc');
  });

  it('castValues off: values stay JSON, and z.date() then rejects them', async () => {
    const service = filesService();
    await startWorker(service);
    const unvalidated = track(
      lightbus.create(testBusOptions({ busName: service.settings.busName, apis: [filesApi], apiSettings: { files: { castValues: false, validate: { incoming: false } } } })),
    );
    await expect(unvalidated.files.touch({ at: new Date(0) })).resolves.toBe('1970-01-01T00:00:01.000Z');
    const validated = track(
      lightbus.create(testBusOptions({ busName: service.settings.busName, apis: [filesApi], apiSettings: { files: { castValues: false } } })),
    );
    const error = await validated.files.touch({ at: new Date(0) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: '$', expected: expect.stringMatching(/expected date, received string/) }]);
    expect((error as ValidationError).context).toMatchObject({ direction: 'incoming', part: 'response' });
  });
});
