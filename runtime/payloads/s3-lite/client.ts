import { createHash } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import {
  loadConfig,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS,
  NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
  NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
  resolveRegionConfig,
} from '@smithy/core/config';
import { HttpRequest } from '@smithy/core/protocols';
import { isServerError, isThrottlingError, isTransientError, StandardRetryStrategy } from '@smithy/core/retry';
import { NodeHttpHandler, streamCollector, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, RetryErrorInfo, RetryErrorType, SdkError } from '@smithy/types';
import { GetObjectCommand, PutObjectCommand, type GetObjectInput, type GetObjectOutput, type PutObjectInput, type PutObjectOutput } from './commands';
import { objectLocation, type ObjectEndpointSettings } from './endpoint';
import { S3ObjectError } from './errors';

/** The part of the S3 client's configuration this client reads (what runtime/transport/aws-clients.ts passes). */
export interface S3ObjectClientConfig {
  /** @default the SDK's resolution (AWS_REGION, profile) */
  readonly region?: string;
  /** @default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS's own */
  readonly endpoint?: string;
  /** @default false */
  readonly forcePathStyle?: boolean;
  /** @default the SDK's default credential chain (environment, profile, web identity, container, instance) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, the first included, with the SDK's standard retry strategy. @default 3 */
  readonly maxAttempts?: number;
  /** Only `standard` is implemented: any other mode gets it too. */
  readonly retryMode?: string;
  /** The NodeHttpHandler's options (timeouts, agents). */
  readonly requestHandler?: NodeHttpHandlerOptions;
}

export interface SendOptions {
  readonly abortSignal?: AbortSignal;
}

/** What a call needs once per client: the region and endpoint settings, the signer. */
interface Resolved {
  readonly endpoint: ObjectEndpointSettings;
  readonly signer: SignatureV4;
}

const DEFAULT_MAX_ATTEMPTS = 3;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * GetObject and PutObject over S3's REST API, for the Lambda worker bundle (cdk/bundle.ts puts it
 * in place of @aws-sdk/client-s3 there): built from the SDK pieces the other clients bundle anyway
 * (SigV4 signer, NodeHttpHandler, standard retry strategy, default credential and region chains,
 * partition table), without S3's schemas, XML protocol and checksum middleware (~150 kB of a
 * worker bundle). It answers with the SDK's shapes where the runtime reads them: errors named
 * after S3's code with `$metadata.httpStatusCode`, `Body.transformToByteArray()`.
 *
 * Payloads are signed with their SHA-256 (x-amz-content-sha256), which S3 checks on PutObject. Not
 * covered: S3 Express One Zone, transfer acceleration, access points and ARNs as bucket names,
 * clock-skew correction, the config file's `endpoint_url`.
 */
export class S3ObjectClient {
  private readonly handler: NodeHttpHandler;
  private readonly retry: StandardRetryStrategy;
  private resolved: Promise<Resolved> | undefined;

  public constructor(private readonly config: S3ObjectClientConfig = {}) {
    this.handler = new NodeHttpHandler(config.requestHandler);
    this.retry = new StandardRetryStrategy(config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  }

  public send(command: GetObjectCommand, options?: SendOptions): Promise<GetObjectOutput>;
  public send(command: PutObjectCommand, options?: SendOptions): Promise<PutObjectOutput>;
  public async send(command: GetObjectCommand | PutObjectCommand, options: SendOptions = {}): Promise<GetObjectOutput | PutObjectOutput> {
    const operation = operationOf(command);
    const { endpoint, signer } = await this.resolvedOnce();
    const request = operation === 'PutObject' ? putRequest(command.input as PutObjectInput, endpoint) : getRequest(command.input, endpoint);
    const { headers, body, metadata } = await this.attempts(request, signer, options.abortSignal);
    if (operation === 'PutObject') return { ...etag(headers), $metadata: metadata };
    return {
      Body: { transformToByteArray: async () => body, transformToString: async (encoding = 'utf8') => Buffer.from(body).toString(encoding) },
      ContentLength: body.byteLength,
      ...(headers['content-type'] !== undefined ? { ContentType: headers['content-type'] } : {}),
      ...etag(headers),
      $metadata: metadata,
    };
  }

  /** Closes the handler's sockets (the agents' own, when given). */
  public destroy(): void {
    this.handler.destroy();
  }

  /** Sends, signed anew for each attempt, retrying what the SDK's standard strategy retries. */
  private async attempts(request: HttpRequest, signer: SignatureV4, signal: AbortSignal | undefined) {
    let token = await this.retry.acquireInitialRetryToken('s3');
    let totalRetryDelay = 0;
    for (;;) {
      try {
        if (signal?.aborted) throw abortError(signal);
        const signed = (await signer.sign(request.clone())) as HttpRequest;
        const { response } = await this.handler.handle(signed, signal ? { abortSignal: signal } : {});
        const body = await streamCollector(response.body);
        const headers = lowerCased(response.headers);
        if (response.statusCode < 200 || response.statusCode > 299) throw new S3ObjectError(response.statusCode, headers, Buffer.from(body).toString('utf8'));
        this.retry.recordSuccess(token);
        const requestId = headers['x-amz-request-id'];
        const metadata = { httpStatusCode: response.statusCode, ...(requestId ? { requestId } : {}), attempts: token.getRetryCount() + 1, totalRetryDelay };
        return { headers, body, metadata };
      } catch (error) {
        if (signal?.aborted) throw error;
        const attempts = token.getRetryCount() + 1;
        try {
          token = await whileNotAborted(this.retry.refreshRetryTokenForRetry(token, retryInfo(error)), signal);
        } catch (refused) {
          if (signal?.aborted) throw refused;
          throw withAttempts(error, attempts, totalRetryDelay);
        }
        totalRetryDelay += (token as { $retryLog?: { acquisitionDelay?: number } }).$retryLog?.acquisitionDelay ?? 0;
      }
    }
  }

  /** The region, endpoint settings and signer, resolved on the first call (and again after a failure: a missing region may be set later). */
  private resolvedOnce(): Promise<Resolved> {
    this.resolved ??= this.resolve().catch((error: unknown) => {
      this.resolved = undefined;
      throw error;
    });
    return this.resolved;
  }

  private async resolve(): Promise<Resolved> {
    const fips = loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS);
    // resolveRegionConfig turns `fips-us-east-1` style regions into the real region plus FIPS, as the clients do.
    const regionConfig = resolveRegionConfig({
      region: this.config.region ?? loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS),
      useFipsEndpoint: fips,
    });
    const [region, useFipsEndpoint, useDualstackEndpoint] = await Promise.all([
      regionConfig.region(),
      regionConfig.useFipsEndpoint(),
      loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS)(),
    ]);
    const endpoint = this.config.endpoint ?? configuredEndpoint();
    return {
      endpoint: { region, endpoint, forcePathStyle: this.config.forcePathStyle, useFipsEndpoint, useDualstackEndpoint },
      // S3 signs the path as sent (already encoded once), not encoded again as other services do.
      signer: new SignatureV4({ service: 's3', region, credentials: this.config.credentials ?? defaultProvider(), sha256: Sha256, uriEscapePath: false, applyChecksum: true }),
    };
  }
}

/**
 * Which call a command asks for: this module's commands, or the SDK's own of the same name and
 * input (so the same PayloadStore code can be run against either client in tests).
 */
function operationOf(command: GetObjectCommand | PutObjectCommand): 'GetObject' | 'PutObject' {
  const name = (command as { constructor?: { name?: string } }).constructor?.name;
  if (command instanceof PutObjectCommand || name === 'PutObjectCommand') return 'PutObject';
  if (command instanceof GetObjectCommand || name === 'GetObjectCommand') return 'GetObject';
  throw new TypeError(
    `This S3 client (LightbusService's worker bundle) sends GetObject and PutObject only, not ${name ?? typeof command}: ` +
      "a bus module that imports @aws-sdk/client-s3 itself gets the SDK's client.",
  );
}

/** The endpoint the environment configures for S3, as the SDK reads it (the config file's `endpoint_url` aside). */
function configuredEndpoint(): string | undefined {
  if (process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

function baseRequest(method: 'GET' | 'PUT', bucket: string, key: string, settings: ObjectEndpointSettings, headers: Record<string, string>): HttpRequest {
  const { protocol, hostname, port, path } = objectLocation(bucket, key, settings);
  const host = port === undefined ? hostname : `${hostname}:${port}`;
  return new HttpRequest({ method, protocol, hostname, ...(port !== undefined ? { port } : {}), path, headers: { host, ...headers } });
}

function getRequest(input: GetObjectInput, settings: ObjectEndpointSettings): HttpRequest {
  return baseRequest('GET', input.Bucket, input.Key, settings, { 'x-amz-content-sha256': EMPTY_SHA256 });
}

function putRequest(input: PutObjectInput, settings: ObjectEndpointSettings): HttpRequest {
  const body = typeof input.Body === 'string' ? Buffer.from(input.Body, 'utf8') : input.Body;
  const request = baseRequest('PUT', input.Bucket, input.Key, settings, {
    'content-length': String(body.byteLength),
    'content-type': input.ContentType ?? 'application/octet-stream',
    // Signed, and checked by S3 against the bytes it receives: a corrupted upload is refused.
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
  });
  request.body = body;
  return request;
}

function lowerCased(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function etag(headers: Readonly<Record<string, string>>): { ETag?: string } {
  return headers.etag !== undefined ? { ETag: headers.etag } : {};
}

/** The retry strategy's view of an error, classified as the SDK's retry middleware classifies it. */
function retryInfo(error: unknown): RetryErrorInfo {
  const sdkError = error as SdkError;
  const errorType: RetryErrorType = isThrottlingError(sdkError)
    ? 'THROTTLING'
    : isTransientError(sdkError)
      ? 'TRANSIENT'
      : isServerError(sdkError)
        ? 'SERVER_ERROR'
        : 'CLIENT_ERROR';
  const retryAfter = Number((error as Partial<S3ObjectError>).$response?.headers['retry-after']);
  return { errorType, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterHint: new Date(Date.now() + retryAfter * 1000) } : {}) };
}

/** The error of the last attempt, with how many were made (as the SDK's `$metadata.attempts`). */
function withAttempts(error: unknown, attempts: number, totalRetryDelay: number): unknown {
  if (error instanceof Error) {
    const carrier = error as Error & { $metadata?: Record<string, unknown> };
    carrier.$metadata = { ...carrier.$metadata, attempts, totalRetryDelay };
  }
  return error;
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('Request aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/** `promise` (the retry strategy's back-off wait), or an AbortError as soon as `signal` aborts. */
function whileNotAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
