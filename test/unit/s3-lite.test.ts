/**
 * The lite S3 object client of worker bundles (runtime/payloads/s3-lite): its URLs against the SDK's
 * own S3 endpoint rules, key encoding, S3's XML errors, and the requests it signs and retries,
 * seen by a local HTTP server standing in for S3 (the emulator tests are payload-store.test.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import {
  encodeKey,
  GetObjectCommand,
  objectLocation,
  parseS3ErrorBody,
  PutObjectCommand,
  S3ObjectClient,
  S3ObjectError,
  type ObjectEndpointSettings,
} from '../../runtime/payloads/s3-lite';

describe('objectLocation', () => {
  const sdk = new S3Client({ region: 'us-east-1' });
  afterAll(() => sdk.destroy());

  /** The SDK's URL for the bucket (its endpoint rules), with the key appended as its serializer appends it. */
  function sdkUrl(bucket: string, key: string, settings: ObjectEndpointSettings): string {
    const url = sdk.config.endpointProvider({
      Bucket: bucket,
      Region: settings.region,
      ...(settings.endpoint !== undefined ? { Endpoint: settings.endpoint } : {}),
      ForcePathStyle: settings.forcePathStyle ?? false,
      UseFIPS: settings.useFipsEndpoint ?? false,
      UseDualStack: settings.useDualstackEndpoint ?? false,
    }).url;
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}/${encodeKey(key)}`;
  }

  const cases: readonly [string, string, ObjectEndpointSettings][] = [
    ['virtual-hosted in us-east-1', 'shop-payloads-123456789012-us-east-1', { region: 'us-east-1' }],
    ['virtual-hosted in another region', 'shop-payloads-123456789012-eu-west-1', { region: 'eu-west-1' }],
    ["China's partition", 'shop-payloads-1-cn-north-1', { region: 'cn-north-1' }],
    ['the European sovereign partition', 'shop-payloads-1', { region: 'eusc-de-east-1' }],
    ['FIPS', 'shop-payloads-1', { region: 'us-east-1', useFipsEndpoint: true }],
    ['dual-stack', 'shop-payloads-1', { region: 'eu-west-1', useDualstackEndpoint: true }],
    ['FIPS and dual-stack in GovCloud', 'shop-payloads-1', { region: 'us-gov-west-1', useFipsEndpoint: true, useDualstackEndpoint: true }],
    ['path style when forced', 'shop-payloads-1', { region: 'us-east-1', forcePathStyle: true }],
    ['path style for a bucket that is no DNS label', 'Shop_Payloads', { region: 'us-east-1' }],
    ['path style for a dotted bucket over TLS', 'shop.payloads', { region: 'us-east-1' }],
    ['a custom endpoint, path style (as AwsClients asks with an endpoint)', 'shop-payloads-1', { region: 'us-east-1', endpoint: 'http://localhost:4566', forcePathStyle: true }],
    ['a custom endpoint that is an IP address: path style', 'shop-payloads-1', { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' }],
    ['a custom host name: virtual-hosted on it, its path kept', 'shop-payloads-1', { region: 'us-east-1', endpoint: 'https://s3.example.com/base' }],
  ];

  it.each(cases)('%s: the SDK S3 client\'s URL', (_name, bucket, settings) => {
    const key = 'orders/call/0b7e2b8e-9a51-4f0e-8d7c-3f6c2a9e1d2b';
    const { protocol, hostname, port, path } = objectLocation(bucket, key, settings);
    expect(`${protocol}//${hostname}${port !== undefined ? `:${port}` : ''}${path}`).toBe(sdkUrl(bucket, key, settings));
  });
});

describe('encodeKey', () => {
  it('leaves a payload key (<api>/<kind>/<uuid>) as it is', () => {
    expect(encodeKey('orders-v2/result/0b7e2b8e-9a51-4f0e-8d7c-3f6c2a9e1d2b')).toBe('orders-v2/result/0b7e2b8e-9a51-4f0e-8d7c-3f6c2a9e1d2b');
  });

  it('percent-encodes all but unreserved characters in each segment, keeping the slashes', () => {
    expect(encodeKey("a b+c/!'()*/é/100%/~_.-")).toBe('a%20b%2Bc/%21%27%28%29%2A/%C3%A9/100%25/~_.-');
    expect(encodeKey('x//y/')).toBe('x//y/');
  });
});

describe("S3's XML errors", () => {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access &amp; &lt;denied&gt;</Message><RequestId>R1</RequestId><HostId>H</HostId></Error>';

  it('gives the code, message and request id', () => {
    expect(parseS3ErrorBody(body)).toEqual({ code: 'AccessDenied', message: 'Access & <denied>', requestId: 'R1' });
    expect(parseS3ErrorBody('')).toEqual({ code: undefined, message: undefined, requestId: undefined });
  });

  it('become errors shaped as the SDK\'s: named after the code, with the status in $metadata', () => {
    const error = new S3ObjectError(403, {}, body);
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'Access & <denied>', $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'R1' } });
    expect(new S3ObjectError(404, { 'x-amz-request-id': 'R2' }, '')).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404, requestId: 'R2' } });
    expect(new S3ObjectError(503, {}, '<Error><Code>SlowDown</Code></Error>')).toMatchObject({ name: 'SlowDown', $fault: 'server' });
  });
});

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A stand-in for S3 on localhost: records each request, answers with the next of `answers` (the last repeats). */
async function fakeS3(answers: readonly { status: number; body?: string }[]): Promise<{ server: Server; endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks) });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      response.writeHead(answer.status, { 'x-amz-request-id': `req-${seen.length}`, etag: '"e"', 'content-type': 'application/json' });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token' };

/** SigV4 worked out again from what the server received (AWS's documented algorithm, S3's single path encoding). */
function expectedSignature(seen: Seen, region: string): string {
  const auth = seen.headers.authorization!;
  const [, scope, signedHeaders] = /Credential=[^/]+\/([^,]+), SignedHeaders=([^,]+), Signature=/.exec(auth)!;
  const [date] = scope!.split('/');
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names.map((name) => `${name}:${String(seen.headers[name]).trim()}\n`).join('');
  const canonical = [seen.method, seen.url, '', canonicalHeaders, signedHeaders, seen.headers['x-amz-content-sha256']].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', seen.headers['x-amz-date'], scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${CREDENTIALS.AWS_SECRET_ACCESS_KEY}`).update(date!).digest();
  for (const part of [region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('S3ObjectClient requests', () => {
  const saved = { ...process.env };
  beforeEach(() => Object.assign(process.env, CREDENTIALS));
  afterEach(() => {
    process.env = { ...saved };
  });

  it('signs a PutObject with its SHA-256 for service s3, the key encoded once in the signed path', async () => {
    const s3 = await fakeS3([{ status: 200 }]);
    const client = new S3ObjectClient({ region: 'eu-west-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const body = Buffer.from('{"text":"é"}');
      const out = await client.send(new PutObjectCommand({ Bucket: 'bucket-1', Key: 'blob/call/a b', Body: body, ContentType: 'application/json' }));
      expect(out).toMatchObject({ ETag: '"e"', $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1 } });
      const [put] = s3.seen;
      expect(put).toMatchObject({ method: 'PUT', url: '/bucket-1/blob/call/a%20b' });
      expect(put!.body.equals(body)).toBe(true);
      expect(put!.headers).toMatchObject({
        host: s3.endpoint.slice('http://'.length),
        'content-type': 'application/json',
        'content-length': String(body.byteLength),
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        'x-amz-security-token': 'session-token',
      });
      expect(put!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[^,]*host;[^,]*x-amz-content-sha256;x-amz-date/);
      expect(put!.headers.authorization!.endsWith(`Signature=${expectedSignature(put!, 'eu-west-1')}`)).toBe(true);
    } finally {
      client.destroy();
      s3.server.close();
    }
  });

  it('reads a GetObject body whole, signed with the empty payload hash', async () => {
    const s3 = await fakeS3([{ status: 200, body: '{"n":1}' }]);
    const client = new S3ObjectClient({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true });
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: 'bucket-1', Key: 'blob/result/x' }));
      expect(Buffer.from(await out.Body.transformToByteArray()).toString()).toBe('{"n":1}');
      expect(out).toMatchObject({ ContentLength: 7, ContentType: 'application/json', $metadata: { httpStatusCode: 200, attempts: 1 } });
      expect(s3.seen[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').digest('hex'));
      expect(s3.seen[0]!.headers.authorization!.endsWith(`Signature=${expectedSignature(s3.seen[0]!, 'us-east-1')}`)).toBe(true);
    } finally {
      client.destroy();
      s3.server.close();
    }
  });

  it("retries throttling and 5xx answers as the SDK's standard strategy does, then succeeds", async () => {
    const s3 = await fakeS3([{ status: 503, body: '<Error><Code>SlowDown</Code></Error>' }, { status: 500, body: '<Error><Code>InternalError</Code></Error>' }, { status: 200, body: 'ok' }]);
    const client = new S3ObjectClient({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, maxAttempts: 4 });
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: 'bucket-1', Key: 'k' }));
      expect(out.$metadata.attempts).toBe(3);
      expect(s3.seen).toHaveLength(3);
      // Signed again for each attempt.
      for (const seen of s3.seen) expect(seen.headers.authorization!.endsWith(`Signature=${expectedSignature(seen, 'us-east-1')}`)).toBe(true);
    } finally {
      client.destroy();
      s3.server.close();
    }
  });

  it('throws a 5xx that outlasts its attempts, and a client error at once', async () => {
    const failing = await fakeS3([{ status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' }]);
    const denied = await fakeS3([{ status: 403, body: '<Error><Code>AccessDenied</Code><Message>no</Message></Error>' }]);
    const client = new S3ObjectClient({ region: 'us-east-1', endpoint: failing.endpoint, forcePathStyle: true, maxAttempts: 2 });
    const other = new S3ObjectClient({ region: 'us-east-1', endpoint: denied.endpoint, forcePathStyle: true, maxAttempts: 4 });
    try {
      const unavailable = await client.send(new GetObjectCommand({ Bucket: 'b-1', Key: 'k' })).catch((e: unknown) => e);
      expect(unavailable).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503, attempts: 2 } });
      expect(failing.seen).toHaveLength(2);
      const refused = await other.send(new GetObjectCommand({ Bucket: 'b-1', Key: 'k' })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(S3ObjectError);
      expect(refused).toMatchObject({ name: 'AccessDenied', message: 'no', $metadata: { httpStatusCode: 403, attempts: 1 } });
      expect(denied.seen).toHaveLength(1);
    } finally {
      client.destroy();
      other.destroy();
      failing.server.close();
      denied.server.close();
    }
  });

  it('refuses commands other than GetObject and PutObject, naming them', async () => {
    const client = new S3ObjectClient({ region: 'us-east-1' });
    class ListBucketsCommand {
      public readonly input = {};
    }
    await expect(client.send(new ListBucketsCommand() as unknown as GetObjectCommand)).rejects.toThrow(/GetObject and PutObject only, not ListBucketsCommand/);
    client.destroy();
  });
});
