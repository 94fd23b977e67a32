/**
 * The PayloadStore against the emulator, through both S3 clients the runtime may hold: the SDK's
 * S3Client (callers, the local worker) and the lite S3 object client LightbusService's worker
 * bundles hold instead (runtime/payloads/s3-lite, cdk/lite-s3-client.ts). Real network, no mocks:
 * each test runs once per client and must see the same outcome.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  PayloadBucketLocator,
  PayloadKind,
  PayloadStore,
  PayloadUnresolvableError,
  UnresolvableProblem,
  payloadKey,
  sha256Hex,
  type PayloadSite,
} from '../../runtime/payloads';
import { GetObjectCommand as LiteGetObject, PutObjectCommand as LitePutObject, S3ObjectClient } from '../../runtime/payloads/s3-lite';
import { AwsClients } from '../../runtime/transport';
import { testEnvironment, uniqueName } from '../support/aws';

jest.setTimeout(60_000);

type ClientKind = 'sdk' | 'lite';
const env = testEnvironment();
/** The settings AwsClients gets from a bus: the emulator's endpoint and region. */
const settings = { endpoint: env.endpoint, region: env.region };
const bucket = uniqueName('payload-store');
const sdk = new S3Client({ endpoint: env.endpoint, region: env.region, credentials: env.credentials, forcePathStyle: true });

/** AwsClients whose `s3` is the SDK's client, or the lite one configured as AwsClients configures S3 (its common config, path style). */
function clientsOf(kind: ClientKind): AwsClients {
  const clients = new AwsClients(settings);
  if (kind === 'sdk') return clients;
  const lite = new S3ObjectClient({ ...settings, forcePathStyle: true, maxAttempts: 4 });
  Object.defineProperty(clients, 's3', { get: () => lite });
  return clients;
}

const opened: AwsClients[] = [];
function storeOf(kind: ClientKind, payloadBucket = bucket): PayloadStore {
  const clients = clientsOf(kind);
  opened.push(clients);
  return new PayloadStore(clients, new PayloadBucketLocator(clients, 'unused', () => 'unused', payloadBucket));
}

const site = (kind: PayloadKind = PayloadKind.Call): PayloadSite => ({ api: 'blob', member: 'echo', kind, id: randomUUID() });
const textOf = (bytes: number) => 'lightbus-payload-'.repeat(Math.ceil(bytes / 17)).slice(0, bytes);

beforeAll(async () => {
  await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(() => {
  for (const clients of opened) clients.destroy();
  sdk.destroy();
});

describe.each<ClientKind>(['sdk', 'lite'])('PayloadStore with the %s S3 client', (kind) => {
  it('stores a payload under <api>/<kind>/<uuid> and reads it back, the reference naming its size and SHA-256', async () => {
    const store = storeOf(kind);
    const text = `{"text":"${textOf(300 * 1024)}","é":"ü"}`;
    const ref = await store.put(site(), text);
    expect(ref.key).toMatch(/^blob\/call\/[0-9a-f-]{36}$/);
    expect(ref).toMatchObject({ bucket, bytes: Buffer.byteLength(text), sha256: sha256Hex(Buffer.from(text)) });
    expect(await store.get(site(), ref)).toBe(text);
    // What the other side reads: the SDK's own GetObject sees the same bytes.
    const stored = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: ref.key }));
    expect(await stored.Body!.transformToString()).toBe(text);
    expect(stored.ContentType).toBe('application/json');
  });

  it('reads a payload the other client stored (10 MB)', async () => {
    const store = storeOf(kind);
    const other = storeOf(kind === 'sdk' ? 'lite' : 'sdk');
    const text = JSON.stringify({ text: textOf(10 * 1024 * 1024) });
    const ref = await other.put(site(PayloadKind.Result), text);
    expect(await store.get(site(PayloadKind.Result), ref)).toBe(text);
  });

  it('refuses bytes that are not the ones referenced (checksum mismatch)', async () => {
    const store = storeOf(kind);
    const key = payloadKey('blob', 'call');
    await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"text":"tampered"}' }));
    const ref = { bucket, key, bytes: 19, sha256: sha256Hex(Buffer.from('{"text":"original"}')) };
    const error = await store.get(site(), ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadUnresolvableError);
    expect((error as PayloadUnresolvableError).problem).toBe(UnresolvableProblem.ChecksumMismatch);
  });

  it('says Missing for a key that holds no object, with S3\'s NoSuchKey / 404 as the cause', async () => {
    const store = storeOf(kind);
    const ref = { bucket, key: payloadKey('blob', 'call'), bytes: 2, sha256: sha256Hex(Buffer.from('{}')) };
    const error = await store.get(site(), ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadUnresolvableError);
    expect((error as PayloadUnresolvableError).problem).toBe(UnresolvableProblem.Missing);
    const cause = (error as Error).cause as { name: string; $metadata: { httpStatusCode: number } };
    expect(cause.name).toBe('NoSuchKey');
    expect(cause.$metadata.httpStatusCode).toBe(404);
  });

  it('says Missing for a bucket that does not exist (NoSuchBucket)', async () => {
    const missingBucket = uniqueName('no-such-bucket');
    const store = storeOf(kind, missingBucket);
    const ref = { bucket: missingBucket, key: payloadKey('blob', 'call'), bytes: 2, sha256: sha256Hex(Buffer.from('{}')) };
    const error = await store.get(site(), ref).catch((e: unknown) => e);
    expect((error as PayloadUnresolvableError).problem).toBe(UnresolvableProblem.Missing);
    expect(((error as Error).cause as { name: string }).name).toBe('NoSuchBucket');
  });

  it('gives up a put and a get at once when their signal aborts, with an AbortError', async () => {
    const store = storeOf(kind);
    const text = JSON.stringify({ text: textOf(8 * 1024 * 1024) });
    const controller = new AbortController();
    const put = store.put(site(), text, controller.signal).catch((e: unknown) => e);
    setImmediate(() => controller.abort());
    expect((await put as Error).name).toBe('AbortError');
    const ref = await store.put(site(), text);
    const aborted = AbortSignal.abort();
    expect(((await store.get(site(), ref, aborted).catch((e: unknown) => e)) as Error).name).toBe('AbortError');
  });
});

describe('keys with characters S3 encodes in the path', () => {
  const keys = ['blob/call/with space+plus', "odd/!'()*&$@=;:,?#[]", 'unicode/é-ü-日本', 'percent/100%/~tilde', 'dots/../and/./slashes//end'];

  it.each(keys)('stores and reads %j the same with both clients', async (key) => {
    const lite = new S3ObjectClient({ ...settings, forcePathStyle: true });
    try {
      await lite.send(new LitePutObject({ Bucket: bucket, Key: key, Body: `lite:${key}` }));
      expect(await (await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe(`lite:${key}`);
      await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `sdk:${key}` }));
      expect(await (await lite.send(new LiteGetObject({ Bucket: bucket, Key: key }))).Body.transformToString()).toBe(`sdk:${key}`);
    } finally {
      lite.destroy();
    }
  });
});
