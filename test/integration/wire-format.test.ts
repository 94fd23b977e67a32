/**
 * Proves docs/wire-format.md: a Python client built from the docs alone (docs/examples/boto3_client.py)
 * calls a procedure and fires an event on a running worker, and what the Node client puts on the
 * wire matches the documented shapes field by field. Resource names here are written out the way
 * the docs give them (not computed with runtime/topology), so a naming change fails this test.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { lightbus, z, type ReceivedEvent } from '../../runtime';
import { silentLogger } from '../../runtime/logging';
import { LightbusWorker, provisionTopology } from '../../local';
import { testEnvironment, uniqueName } from '../support/aws';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(REPO_ROOT, '.emulator-venv', 'bin', 'python');
const SCRIPT = path.join(REPO_ROOT, 'docs', 'examples', 'boto3_client.py');

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const sqs = new SQSClient(clientConfig);
const events = new EventBridgeClient(clientConfig);
const dynamo = new DynamoDBClient(clientConfig);

/** A dotted API name, so the `.` → `-` mapping of resource names is exercised. */
const API = 'wiretest.calc';
const API_SLUG = 'wiretest-calc';
const SERVICE = 'wiresvc';
const LISTENER = 'onHappened';

class DeliberateError extends Error {
  public readonly code = 'DELIBERATE';
  public constructor(message: string) {
    super(message);
    this.name = 'DeliberateError';
  }
}

const calcApi = lightbus.api(API, {
  rpcs: {
    add: lightbus.rpc({ parameters: { a: z.number(), b: z.number() }, response: z.number() }),
    fail: lightbus.rpc({ parameters: { reason: z.string() }, response: z.boolean() }),
    repeat: lightbus.rpc({ parameters: { text: z.string(), times: z.number().int() }, response: z.string() }),
  },
  events: {
    happened: lightbus.event({ parameters: { text: z.string(), count: z.number().int() } }),
  },
});

const implementation = {
  add: ({ a, b }: { a: number; b: number }) => a + b,
  fail: ({ reason }: { reason: string }): boolean => {
    throw new DeliberateError(reason);
  },
  repeat: ({ text, times }: { text: string; times: number }) => text.repeat(times),
};

interface PythonRun {
  readonly exitCode: number;
  readonly output: Record<string, unknown>;
  readonly stderr: string;
}

/** Runs the documented boto3 client with the emulator's environment. */
function runPython(busName: string, args: readonly string[]): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [SCRIPT, '--endpoint', env.endpoint, '--region', env.region, '--bus', busName, ...args],
      { env: { ...process.env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        try {
          resolve({ exitCode, output: JSON.parse(stdout) as Record<string, unknown>, stderr });
        } catch {
          reject(new Error(`boto3_client.py exited ${exitCode} without JSON.\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      },
    );
  });
}

async function queueUrl(name: string): Promise<string> {
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!out.QueueUrl) throw new Error(`no URL for ${name}`);
  return out.QueueUrl;
}

/** Receives until `count` messages arrived or `timeoutMs` passed. */
async function receiveMessages(url: string, count: number, timeoutMs = 20_000): Promise<Message[]> {
  const got: Message[] = [];
  const until = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < until) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sortedKeys = (value: unknown): string[] => Object.keys(value as object).sort();
/** W3C traceparent, as docs/wire-format.md ("Trace context") gives it. */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const traceIdOf = (traceparent: unknown): string => String(traceparent).split('-')[1] ?? '';

afterAll(() => {
  sqs.destroy();
  events.destroy();
  dynamo.destroy();
});

describe('a Python client written from docs/wire-format.md, against a running worker', () => {
  const busName = uniqueName('wire');
  const bus = lightbus.create({ busName, serviceName: SERVICE, apis: [calcApi], logger: silentLogger });
  bus.register(calcApi, implementation);
  const received: ReceivedEvent<{ text: string; count: number }>[] = [];
  bus.wiretest.calc.happened.listen(
    (event) => {
      received.push(event);
    },
    { listenerName: LISTENER, maxReceives: 2 },
  );
  const worker = new LightbusWorker(bus, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });

  beforeAll(async () => {
    await worker.start();
  });

  /** Keys under a prefix of this bus's payload bucket. */
  async function payloadKeys(prefix: string): Promise<string[]> {
    const Bucket = await bus.transports.payloads.bucket.name();
    const out = await bus.transports.clients.s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  }

  afterAll(async () => {
    await worker.stop();
    await bus.close();
  });

  it('calls an RPC and gets its result; the results item has the documented attributes', async () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const run = await runPython(busName, ['--traceparent', parent, 'call', API, 'add', JSON.stringify({ a: 2, b: 40 }), '--timeout-ms', '15000']);
    expect(run).toMatchObject({ exitCode: 0, output: { state: 'ok', result: 42 } });
    // The request continued the given trace; the worker's execution span (on the item) continued the request's.
    expect(run.output.traceparent).toMatch(TRACEPARENT);
    expect(traceIdOf(run.output.traceparent)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(run.output.resultTraceparent).toMatch(TRACEPARENT);
    expect(traceIdOf(run.output.resultTraceparent)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(run.output.resultTraceparent).not.toBe(run.output.traceparent);
    const callId = run.output.id as string;
    // `<caller scope>.<uuid>`: the script's default scope.
    expect(callId).toMatch(/^boto3\.[0-9a-f-]{36}$/);

    const item = (
      await dynamo.send(new GetItemCommand({ TableName: `${busName}-results`, Key: { pk: { S: callId } }, ConsistentRead: true }))
    ).Item;
    expect(item && sortedKeys(item)).toEqual(
      ['api', 'claimedAt', 'claimedBy', 'claimToken', 'completedAt', 'expiresAt', 'parameters', 'pk', 'procedure', 'result', 'state', 'traceparent'].sort(),
    );
    expect(item).toMatchObject({
      pk: { S: callId },
      parameters: { S: JSON.stringify({ a: 2, b: 40 }) }, // the call's parameters (≤ 1 KiB), for observers of the table's stream
      state: { S: 'ok' },
      result: { S: '42' },
      api: { S: API },
      procedure: { S: 'add' },
      claimedBy: { S: expect.any(String) },
      claimedAt: { N: expect.stringMatching(/^\d{13}$/) }, // epoch milliseconds
      claimToken: { S: expect.stringMatching(/^[0-9a-f-]{36}$/) }, // one per claim attempt
      completedAt: { N: expect.stringMatching(/^\d{13}$/) }, // epoch milliseconds
      expiresAt: { N: expect.stringMatching(/^\d{10}$/) }, // epoch seconds (DynamoDB TTL)
      traceparent: { S: run.output.resultTraceparent }, // the worker's execution span
    });
  });

  it('lists the running worker from its worker-state items, with its APIs and listener', async () => {
    const run = await runPython(busName, ['workers']);
    expect(run.exitCode).toBe(0);
    expect(run.output).toEqual({
      workers: [
        expect.objectContaining({
          service: SERVICE,
          workerId: worker.workerId,
          status: 'running',
          runtime: 'local',
          apis: [API],
          listeners: [{ api: API, event: 'happened', listener: LISTENER }],
          heartbeatSeconds: 60,
          stale: false,
        }),
      ],
    });
  });

  it('gets a failing procedure\'s error as state "error" with the documented error object', async () => {
    const run = await runPython(busName, ['call', API, 'fail', JSON.stringify({ reason: 'on purpose' }), '--timeout-ms', '15000']);
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatchObject({
      state: 'error',
      error: { name: 'DeliberateError', message: 'on purpose', code: 'DELIBERATE', stack: expect.any(String) },
    });
  });

  it('gets invalid parameters rejected as an error result, not retried', async () => {
    const run = await runPython(busName, ['call', API, 'add', JSON.stringify({ a: 'two', b: 40 }), '--timeout-ms', '15000']);
    expect(run.exitCode).toBe(1);
    expect(run.output).toMatchObject({ state: 'error', error: { name: 'ValidationError', code: 'VALIDATION_FAILED' } });
  });

  it('fires an event that the worker\'s listener receives with the right parameters', async () => {
    const run = await runPython(busName, ['fire', API, 'happened', JSON.stringify({ text: 'hello from boto3', count: 7 })]);
    expect(run).toMatchObject({ exitCode: 0, output: { id: expect.any(String), eventBridgeId: expect.any(String), traceparent: expect.stringMatching(TRACEPARENT) } });
    const event = await waitFor('the listener to receive the event', () => received.find((e) => e.id === run.output.id));
    expect(event).toMatchObject({
      api: API,
      event: 'happened',
      parameters: { text: 'hello from boto3', count: 7 },
      eventBridgeId: run.output.eventBridgeId,
      sender: { service: 'boto3-example' },
      listenerName: LISTENER,
      receiveCount: 1,
    });
  });

  it('sends large parameters by reference and follows a large result\'s resultRef (Large payloads)', async () => {
    // --offload-above makes these small parameters go through the payload bucket; the result
    // (400 KiB) is over the results item's limit, so the worker stores it and writes resultRef.
    const run = await runPython(busName, ['--offload-above', '100', 'call', API, 'repeat', JSON.stringify({ text: 'abcd'.repeat(64), times: 1600 }), '--timeout-ms', '15000']);
    expect(run).toMatchObject({ exitCode: 0, output: { state: 'ok' } });
    expect(run.output.result).toBe('abcd'.repeat(64 * 1600));
    const item = (
      await dynamo.send(new GetItemCommand({ TableName: `${busName}-results`, Key: { pk: { S: run.output.id as string } }, ConsistentRead: true }))
    ).Item;
    expect(item?.result).toBeUndefined();
    expect(await payloadKeys(`${API}/call/`)).toHaveLength(1);
    expect(JSON.parse(item?.resultRef?.S ?? '{}')).toEqual({
      bucket: expect.stringMatching(/-payloads-\d{12}-/),
      key: expect.stringMatching(new RegExp(`^${API.replace('.', '\\.')}/result/[0-9a-f-]{36}$`)),
      bytes: 400 * 1024 + 2,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('fires an event whose parameters travel by reference; the listener receives them', async () => {
    const text = 'large '.repeat(100);
    const run = await runPython(busName, ['--offload-above', '100', 'fire', API, 'happened', JSON.stringify({ text, count: 3 })]);
    expect(run.exitCode).toBe(0);
    const event = await waitFor('the listener to receive the event', () => received.find((e) => e.id === run.output.id));
    expect(event.parameters).toEqual({ text, count: 3 });
    expect(await payloadKeys(`${API}/event/`)).toHaveLength(1);
  });

  it('dead-letters invalid and malformed events at once, with the documented attributes', async () => {
    // Invalid: count must be an integer. Documented: dead-lettered on the first receive, no retry.
    const invalid = await runPython(busName, ['fire', API, 'happened', JSON.stringify({ text: 'bad', count: 'seven' })]);
    expect(invalid.exitCode).toBe(0);
    // Malformed: the envelope says wiretest.calc.happened but the detail claims another API's event.
    const spoofed = {
      v: 1,
      kind: 'lightbus.event',
      id: `spoof-${uniqueName('id')}`,
      api: 'wiretest.other',
      event: 'happened',
      parameters: { text: 'spoofed', count: 1 },
      firedAt: new Date().toISOString(),
    };
    await events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: busName, Source: `lightbus.${API}`, DetailType: `${API}.happened`, Detail: JSON.stringify(spoofed) }],
      }),
    );

    const dlqName = `${busName}-listen-${SERVICE}-${LISTENER}-dlq`;
    const messages = await receiveMessages(await queueUrl(dlqName), 2);
    const byReason = new Map(messages.map((m) => [m.MessageAttributes?.['lightbus.reason']?.StringValue, m]));
    expect([...byReason.keys()].sort()).toEqual(['invalid', 'malformed']);
    for (const message of messages) {
      expect(sortedKeys(message.MessageAttributes)).toEqual(
        ['lightbus.error.message', 'lightbus.error.name', 'lightbus.reason', 'lightbus.receive-count', 'lightbus.source-queue'].sort(),
      );
      expect(message.MessageAttributes).toMatchObject({
        'lightbus.source-queue': { DataType: 'String', StringValue: `${busName}-listen-${SERVICE}-${LISTENER}` },
        'lightbus.receive-count': { DataType: 'Number', StringValue: '1' },
        'lightbus.error.message': { DataType: 'String', StringValue: expect.any(String) },
      });
      // The body is the EventBridge envelope exactly as the listener queue received it.
      expect(JSON.parse(message.Body ?? '{}')).toMatchObject({ source: `lightbus.${API}`, 'detail-type': `${API}.happened` });
    }
    expect(byReason.get('invalid')?.MessageAttributes?.['lightbus.error.name']?.StringValue).toBe('ValidationError');
    expect(byReason.get('malformed')?.MessageAttributes?.['lightbus.error.name']?.StringValue).toBe('MalformedMessageError');
    expect(received.some((e) => e.id === invalid.output.id || e.id === spoofed.id)).toBe(false);
  });
});

describe('what the Node client puts on the wire', () => {
  const busName = uniqueName('wirecap');
  // Registers the API (so it may fire its events) but runs no worker: its messages stay on the queues.
  const client = lightbus.create({ busName, apis: [calcApi], logger: silentLogger });
  client.register(calcApi, implementation);
  let captureQueueUrl = '';

  beforeAll(async () => {
    await provisionTopology(client.topology(), client.transports.clients, silentLogger);
    // An extra rule + queue on the bus that captures every event of the API, raw.
    const capture = await sqs.send(new CreateQueueCommand({ QueueName: `${busName}-capture` }));
    captureQueueUrl = capture.QueueUrl as string;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: captureQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn as string;
    await events.send(
      new PutRuleCommand({ Name: `${busName}-capture`, EventBusName: busName, EventPattern: JSON.stringify({ source: [`lightbus.${API}`] }) }),
    );
    await events.send(new PutTargetsCommand({ Rule: `${busName}-capture`, EventBusName: busName, Targets: [{ Id: 'capture', Arn: arn }] }));
  });

  afterAll(async () => {
    await client.close();
  });

  it('sends the documented RPC request body, and reads a result item written as documented', async () => {
    const before = Date.now();
    const pending = client.wiretest.calc.add({ a: 1, b: 2 }, { timeoutMs: 20_000 });
    const [message] = await receiveMessages(await queueUrl(`${busName}-rpc-${API_SLUG}`), 1);
    const request = JSON.parse(message?.Body ?? '{}') as Record<string, unknown>;

    expect(sortedKeys(request)).toEqual(['api', 'deadline', 'id', 'kind', 'parameters', 'procedure', 'returnPath', 'sender', 'traceparent', 'v']);
    expect(request).toEqual({
      v: 1,
      kind: 'lightbus.rpc',
      // `<caller scope>.<uuid>`; a client with neither callerScope nor serviceName uses the `anon` scope.
      id: expect.stringMatching(/^anon\.[0-9a-f-]{36}$/),
      api: API,
      procedure: 'add',
      parameters: { a: 1, b: 2 },
      deadline: expect.any(Number),
      returnPath: { table: `${busName}-results` },
      sender: { process: expect.any(String) },
      // W3C trace context of the caller's call span (a new trace: no span was active).
      traceparent: expect.stringMatching(TRACEPARENT),
    });
    const deadline = request.deadline as number;
    expect(Number.isInteger(deadline)).toBe(true);
    expect(deadline).toBeGreaterThanOrEqual(before + 20_000);

    // Answer it as a worker would, following the docs' claim protocol, and the client takes the result.
    const id = request.id as string;
    const table = `${busName}-results`;
    const nowMs = String(Date.now());
    const expiresAt = String(Math.floor(Date.now() / 1000) + 3600);
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: id },
          state: { S: 'claimed' },
          api: { S: API },
          procedure: { S: 'add' },
          claimedBy: { S: 'wire-format-test' },
          claimedAt: { N: nowMs },
          expiresAt: { N: expiresAt },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: id } },
        UpdateExpression: 'SET #s = :ok, #r = :result, completedAt = :now, expiresAt = :exp',
        ConditionExpression: '#s = :claimed',
        ExpressionAttributeNames: { '#s': 'state', '#r': 'result' },
        ExpressionAttributeValues: { ':ok': { S: 'ok' }, ':result': { S: '3' }, ':now': { N: nowMs }, ':exp': { N: expiresAt }, ':claimed': { S: 'claimed' } },
      }),
    );
    await expect(pending).resolves.toBe(3);
  });

  it('fires the documented EventBridge entry; a listener queue receives it in the standard envelope', async () => {
    const sent = await client.wiretest.calc.happened.fire({ text: 'captured', count: 3 });
    const [message] = await receiveMessages(captureQueueUrl, 1);
    const envelope = JSON.parse(message?.Body ?? '{}') as Record<string, unknown>;

    expect(sortedKeys(envelope)).toEqual(['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    expect(envelope).toMatchObject({
      version: '0',
      id: sent.eventBridgeId,
      source: `lightbus.${API}`,
      'detail-type': `${API}.happened`,
      account: expect.any(String),
      time: expect.any(String),
      region: env.region,
      resources: [],
    });
    const detail = envelope.detail as Record<string, unknown>;
    expect(typeof detail).toBe('object'); // an object inside the envelope, not a JSON string
    expect(sortedKeys(detail)).toEqual(['api', 'event', 'firedAt', 'id', 'kind', 'parameters', 'sender', 'traceparent', 'v']);
    expect(detail).toEqual({
      v: 1,
      kind: 'lightbus.event',
      id: sent.id,
      api: API,
      event: 'happened',
      parameters: { text: 'captured', count: 3 },
      firedAt: sent.firedAt,
      sender: { process: expect.any(String) },
      traceparent: expect.stringMatching(TRACEPARENT),
    });
    expect(new Date(detail.firedAt as string).toISOString()).toBe(detail.firedAt);
  });

  it('lets the Python client give up at its deadline when no worker answers', async () => {
    const run = await runPython(busName, ['call', API, 'add', JSON.stringify({ a: 1, b: 1 }), '--timeout-ms', '300']);
    expect(run).toMatchObject({ exitCode: 2, output: { state: 'timeout', id: expect.any(String) } });
    // The request it left on the queue carries that deadline, so a late worker drops it unrun.
    const messages = await receiveMessages(await queueUrl(`${busName}-rpc-${API_SLUG}`), 1);
    const requests = messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
    const request = requests.find((r) => r.id === run.output.id);
    expect(request).toMatchObject({ id: run.output.id, kind: 'lightbus.rpc', deadline: expect.any(Number) });
  });
});

describe('the Python client fires an event of an API on SNS (transports.event: sns)', () => {
  const busName = uniqueName('wiresns');
  const bus = lightbus.create({ busName, serviceName: SERVICE, apis: [calcApi], logger: silentLogger, apiSettings: { [API]: { transports: { event: 'sns' } } } });
  bus.register(calcApi, implementation);
  const received: ReceivedEvent<{ text: string; count: number }>[] = [];
  bus.wiretest.calc.happened.listen((event) => void received.push(event), { listenerName: LISTENER });
  const worker = new LightbusWorker(bus, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });

  beforeAll(async () => {
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await bus.close();
  });

  it('publishes the documented envelope to the API topic; the listener receives it once, with the right parameters', async () => {
    const run = await runPython(busName, ['fire', API, 'happened', JSON.stringify({ text: 'over sns', count: 3 }), '--transport', 'sns']);
    expect(run).toMatchObject({ exitCode: 0, output: { id: expect.any(String), eventBridgeId: expect.any(String) } });
    const event = await waitFor('the listener to receive the event', () => received.find((e) => e.id === run.output.id));
    expect(event).toMatchObject({ api: API, event: 'happened', parameters: { text: 'over sns', count: 3 }, sender: { service: 'boto3-example' }, listenerName: LISTENER });
    // And the same topic carries what lightbus itself fires.
    const sent = await bus.wiretest.calc.happened.fire({ text: 'from lightbus', count: 4 });
    await waitFor('the lightbus-fired event', () => received.find((e) => e.id === sent.id));
    expect(received.filter((e) => e.id === run.output.id)).toHaveLength(1);
  });
});

describe('the Python client fires onto an SNS FIFO topic (transports.event: sns-fifo) for an ordered listener', () => {
  const busName = uniqueName('wirefifo');
  const apiSettings = { [API]: { transports: { event: 'sns-fifo' as const }, orderedBy: 'text' } };
  const bus = lightbus.create({ busName, serviceName: SERVICE, apis: [calcApi], logger: silentLogger, apiSettings });
  bus.register(calcApi, implementation);
  const received: number[] = [];
  let broken = true;
  bus.wiretest.calc.happened.listen(
    (_e, { count }) => {
      if (count === 13 && broken) throw new Error('13 is broken');
      received.push(count);
    },
    { listenerName: LISTENER, ordered: { by: 'text' }, maxReceives: 1 },
  );
  const worker = new LightbusWorker(bus, { provision: true, logger: silentLogger, waitTimeSeconds: 1 });

  beforeAll(async () => {
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await bus.close();
  });

  it('publishes with the documented group and deduplication ids; the ordered listener gets them in order', async () => {
    const fire = (count: number) => runPython(busName, ['fire', API, 'happened', JSON.stringify({ text: 'order 7', count }), '--transport', 'sns-fifo', '--ordered-by', 'text']);
    for (const count of [1, 2, 3]) expect(await fire(count)).toMatchObject({ exitCode: 0, output: { id: expect.any(String) } });
    await waitFor('three events', () => (received.length >= 3 ? true : undefined));
    expect(received).toEqual([1, 2, 3]);
  });

  it('redrives a FIFO dead letter as documented: back into its own message group, deduplicated by its message id', async () => {
    const fire = (count: number) => runPython(busName, ['fire', API, 'happened', JSON.stringify({ text: 'dl-9', count }), '--transport', 'sns-fifo', '--ordered-by', 'text']);
    expect(await fire(13)).toMatchObject({ exitCode: 0 });
    expect(await fire(14)).toMatchObject({ exitCode: 0 });
    await waitFor('14 after 13 was dead-lettered', () => (received.includes(14) ? true : undefined));
    broken = false;
    const queueName = bus.topology().listeners[0]!.queueName;
    const run = await runPython(busName, ['redrive', queueName]);
    expect(run).toMatchObject({ exitCode: 0, output: { moved: [{ messageId: expect.any(String), messageGroupId: 'dl-9' }] } });
    await waitFor('the redriven 13', () => (received.includes(13) ? true : undefined));
    expect(received.slice(3)).toEqual([14, 13]);
  });
});
