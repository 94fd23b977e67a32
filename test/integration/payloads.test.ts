/**
 * Payloads of any size (#12): parameters, results and events too large for SQS, EventBridge or the
 * results table travel through the bus's payload bucket as a reference that receivers resolve.
 * Against the emulator, through the real SDK.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, z, type Bus } from '../../runtime';
import { TransportLimit, payloadKey } from '../../runtime/payloads';
import { putEventsEntrySize } from '../../runtime/transport';
import { deadLetterQueueName, listenerQueueName, rpcQueueName } from '../../runtime/topology';
import { eventually, startWorker, stopAll, testBusOptions, track } from '../support/bus';

jest.setTimeout(120_000);
afterEach(stopAll);

const blobApi = lightbus.api('blob', {
  rpcs: {
    echo: lightbus.rpc({ parameters: { text: z.string() }, response: z.string() }),
    make: lightbus.rpc({ parameters: { bytes: z.number().int() }, response: z.string() }),
  },
  events: {
    stored: lightbus.event({ parameters: { text: z.string() } }),
  },
});
type BlobBus = Bus<readonly [typeof blobApi]>;

const MB = 1024 * 1024;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** Text of `bytes` bytes that is not one repeated character (a truncation or shuffle would show). */
function textOf(bytes: number): string {
  const unit = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** The API's owner: serves blob, fires its events, and (with `listen`) listens to them. */
function owner(busName?: string): BlobBus {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'blobs', apis: [blobApi], ...(busName ? { busName } : {}) })));
  bus.register(blobApi, { echo: ({ text }) => text, make: ({ bytes }) => textOf(bytes) });
  return bus;
}

function caller(busName: string): BlobBus {
  return track(lightbus.create(testBusOptions({ busName, serviceName: 'caller', apis: [blobApi] })));
}

/** Keys of the payloads stored under a prefix (each test has a bus, so a bucket, of its own). */
async function storedKeys(bus: BlobBus, prefix: string): Promise<string[]> {
  const Bucket = await bus.transports.payloads.bucket.name();
  const out = await bus.transports.clients.s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

async function receiveDeadLetters(bus: BlobBus, queueName: string) {
  const url = await bus.transports.queues.locator.url(deadLetterQueueName(queueName));
  const found = [];
  for (let round = 0; round < 10 && found.length === 0; round += 1) {
    const out = await bus.transports.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    found.push(...(out.Messages ?? []));
  }
  return found;
}

/** Parameters text that makes the fired entry exactly `entryBytes` (same shape as fire() builds). */
function textForEntrySize(bus: BlobBus, entryBytes: number): string {
  const probe = (text: string) =>
    putEventsEntrySize({
      Source: 'lightbus.blob',
      DetailType: 'blob.stored',
      Detail: JSON.stringify({
        v: 1,
        kind: 'lightbus.event',
        id: randomUUID(),
        api: 'blob',
        event: 'stored',
        parameters: { text },
        firedAt: new Date().toISOString(),
        sender: { service: bus.settings.serviceName, process: bus.settings.processName },
        // Every fire carries its span's trace context (a fixed-length traceparent; no tracestate here).
        traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
      }),
    });
  const base = probe('');
  return textOf(entryBytes - base);
}

describe('events past the EventBridge limit', () => {
  it('goes inline at the limit, through the bucket one byte over, and reaches the listener intact either way', async () => {
    const bus = owner();
    const seen = new Map<string, string>();
    bus.blob.stored.listen((event, { text }) => void seen.set(event.id, text), { listenerName: 'sizes' });
    await startWorker(bus);
    const atLimit = textForEntrySize(bus, TransportLimit.EventBridgeEvent);
    const overLimit = textForEntrySize(bus, TransportLimit.EventBridgeEvent + 1);
    expect(overLimit.length).toBe(atLimit.length + 1);
    const inline = await bus.blob.stored.fire({ text: atLimit });
    expect(await storedKeys(bus, 'blob/')).toEqual([]);
    const offloaded = await bus.blob.stored.fire({ text: overLimit });
    expect(await storedKeys(bus, 'blob/')).toEqual([expect.stringMatching(/^blob\/event\/[0-9a-f-]{36}$/)]);
    await eventually(() => seen.size === 2, 20_000, 'both events to be handled');
    expect(seen.get(inline.id)).toBe(atLimit);
    expect(seen.get(offloaded.id)).toBe(overLimit);
  });

  it.each([1, 10])('delivers %i MB of event parameters to a listener intact', async (megabytes) => {
    const bus = owner();
    const received: string[] = [];
    bus.blob.stored.listen((_event, { text }) => void received.push(text), { listenerName: 'big' });
    await startWorker(bus);
    const text = textOf(megabytes * MB);
    await bus.blob.stored.fire({ text });
    await eventually(() => received.length === 1, 60_000, 'the large event to be handled');
    expect(received[0]!.length).toBe(text.length);
    expect(sha(received[0]!)).toBe(sha(text));
  });

  it('honours payloads.offloadAbove: a small event goes through the bucket when the threshold says so', async () => {
    const bus = track(
      lightbus.create(testBusOptions({ serviceName: 'blobs', apis: [blobApi], payloads: { offloadAbove: 1000 } })),
    );
    bus.register(blobApi, { echo: ({ text }) => text, make: ({ bytes }) => textOf(bytes) });
    const received: string[] = [];
    bus.blob.stored.listen((_event, { text }) => void received.push(text), { listenerName: 'small' });
    await startWorker(bus);
    const sent = await bus.blob.stored.fire({ text: textOf(2000) });
    await eventually(() => received.length === 1, 20_000, 'the event to be handled');
    expect(received[0]).toBe(textOf(2000));
    expect(sent.parameters).toEqual({ text: textOf(2000) });
    expect(await storedKeys(bus, 'blob/event/')).toHaveLength(1);
  });
});

describe('RPC parameters and results past the SQS and DynamoDB limits', () => {
  it.each([1, 10])('calls with %i MB of parameters and gets as much back', async (megabytes) => {
    const server = owner();
    await startWorker(server);
    const client = caller(server.settings.busName);
    const text = textOf(megabytes * MB);
    const echoed = await client.blob.echo({ text }, { timeoutMs: 60_000 });
    expect(echoed.length).toBe(text.length);
    expect(sha(echoed)).toBe(sha(text));
  });

  it('returns a result over the results-table limit for small parameters', async () => {
    const server = owner();
    await startWorker(server);
    const client = caller(server.settings.busName);
    const made = await client.blob.make({ bytes: 500 * 1024 }, { timeoutMs: 20_000 });
    expect(made).toBe(textOf(500 * 1024));
  });
});

describe('references that cannot be resolved', () => {
  it('dead-letters an event whose payload is missing, with the cause naming the API and event', async () => {
    const bus = owner();
    bus.blob.stored.listen(() => undefined, { listenerName: 'broken' });
    await startWorker(bus);
    const id = randomUUID();
    const bucket = await bus.transports.payloads.bucket.name();
    const detail = {
      v: 1, kind: 'lightbus.event', id, api: 'blob', event: 'stored',
      parametersRef: { bucket, key: payloadKey('blob', 'event'), bytes: 10, sha256: sha('0123456789') },
      firedAt: new Date().toISOString(),
    };
    await bus.transports.clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: bus.transports.location.eventBusName, Source: 'lightbus.blob', DetailType: 'blob.stored', Detail: JSON.stringify(detail) }],
      }),
    );
    const queue = listenerQueueName(bus.settings.busName, 'blobs', 'broken');
    const [dead] = await receiveDeadLetters(bus, queue);
    expect(dead).toBeDefined();
    expect(dead!.MessageAttributes?.['lightbus.reason']?.StringValue).toBe('payload-unresolvable');
    expect(dead!.MessageAttributes?.['lightbus.error.name']?.StringValue).toBe('PayloadUnresolvableError');
    expect(dead!.MessageAttributes?.['lightbus.error.message']?.StringValue).toMatch(/^blob\.stored .*\(missing\)/);
  });

  it('dead-letters a call whose payload does not match its checksum, and answers the caller with the error', async () => {
    const server = owner();
    await startWorker(server);
    const client = caller(server.settings.busName);
    const callId = `caller.${randomUUID()}`;
    const bucket = await client.transports.payloads.bucket.name();
    const key = payloadKey('blob', 'call');
    const stored = JSON.stringify({ text: 'tampered' });
    await client.transports.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: stored }));
    const request = {
      v: 1, kind: 'lightbus.rpc', id: callId, api: 'blob', procedure: 'echo',
      parametersRef: { bucket, key, bytes: Buffer.byteLength(stored), sha256: sha(JSON.stringify({ text: 'original' })) },
      deadline: Date.now() + 20_000,
      returnPath: { table: client.transports.location.resultsTable },
    };
    const queue = rpcQueueName(server.settings.busName, 'blob');
    await client.transports.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: await client.transports.queues.locator.url(queue), MessageBody: JSON.stringify(request) }),
    );
    const [dead] = await receiveDeadLetters(server, queue);
    expect(dead!.MessageAttributes?.['lightbus.reason']?.StringValue).toBe('payload-unresolvable');
    expect(dead!.MessageAttributes?.['lightbus.error.message']?.StringValue).toMatch(/^blob\.echo .*\(checksum-mismatch\)/);
    const answer = await client.transports.poller.wait(client.transports.location.resultsTable, callId, Date.now() + 10_000);
    expect(answer).toMatchObject({ state: 'error', error: { name: 'PayloadUnresolvableError', code: 'PAYLOAD_UNRESOLVABLE' } });
  });
});

describe('the payload bucket as local provisioning makes it (and the emulator behaviour this relies on)', () => {
  it('expires payloads by lifecycle rule, encrypts them and blocks public access', async () => {
    const bus = owner();
    await startWorker(bus);
    const Bucket = await bus.transports.payloads.bucket.name();
    expect(Bucket).toMatch(/-payloads-\d{12}-[a-z0-9-]+$/);
    const s3 = bus.transports.clients.s3;
    const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
    expect(lifecycle.Rules).toEqual([expect.objectContaining({ ID: 'expire-payloads', Status: 'Enabled', Expiration: expect.objectContaining({ Days: 1 }) })]);
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
    expect(block.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
  });

  it('answers a missing key with NoSuchKey / 404 (what makes a reference "missing")', async () => {
    const bus = owner();
    await startWorker(bus);
    const Bucket = await bus.transports.payloads.bucket.name();
    const error = await bus.transports.clients.s3.send(new GetObjectCommand({ Bucket, Key: 'blob/event/none' })).catch((e: unknown) => e);
    expect((error as { name?: string }).name).toBe('NoSuchKey');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(404);
  });
});
