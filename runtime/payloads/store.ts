import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../transport/aws-clients';
import type { PayloadBucketLocator } from './bucket-locator';
import { PayloadNotStoredError, PayloadUnresolvableError, UnresolvableProblem, type PayloadSite } from './errors';
import { payloadKey } from './keys';
import { checkContent, checkReference, sha256Hex, type PayloadReference } from './reference';

/** S3 errors that say the object is not there (never written, or expired by the lifecycle rule). */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
/** S3 errors that say this role may not read it. */
const DENIED = new Set(['AccessDenied', 'Forbidden', 'AllAccessDisabled']);

/**
 * The bus's payload bucket: stores a payload too large for its message under `<api>/<kind>/<uuid>`
 * and follows a reference back to it, checking it names this message's own payload and that the
 * bytes are the ones referenced. Reading errors that retrying cannot change (missing, denied,
 * checksum) become {@link PayloadUnresolvableError}; others (throttling, network) are thrown as
 * they are, for the usual retries.
 */
export class PayloadStore {
  public constructor(
    private readonly clients: AwsClients,
    public readonly bucket: PayloadBucketLocator,
  ) {}

  /** Stores `text` (a payload's JSON) as the payload of `site`, and returns the reference to send. */
  public async put(site: PayloadSite, text: string, signal?: AbortSignal): Promise<PayloadReference> {
    let bucket: string | undefined;
    try {
      bucket = await this.bucket.name();
      const body = Buffer.from(text, 'utf8');
      const key = payloadKey(site.api, site.kind);
      await this.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
        signal ? { abortSignal: signal } : {},
      );
      return { bucket, key, bytes: body.byteLength, sha256: sha256Hex(body) };
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new PayloadNotStoredError(site, bucket, error);
    }
  }

  /** The payload's JSON text that `ref` points at, checked against the reference. */
  public async get(site: PayloadSite, ref: PayloadReference, signal?: AbortSignal): Promise<string> {
    // The bus's own bucket when known (configured, or found once); unknown, IAM decides what may be read.
    const bucket = this.bucket.known ?? (await this.bucket.name().catch(() => undefined));
    checkReference(ref, { site, bucket });
    let body: Uint8Array;
    try {
      const out = await this.clients.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }), signal ? { abortSignal: signal } : {});
      body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const where = { bucket: ref.bucket, key: ref.key };
      if (MISSING.has(name) || status === 404) {
        throw new PayloadUnresolvableError(site, UnresolvableProblem.Missing, 'no object at that key (never stored, or expired by the bucket\'s lifecycle rule).', where, { cause: error });
      }
      if (DENIED.has(name) || status === 403) {
        throw new PayloadUnresolvableError(site, UnresolvableProblem.Denied, `S3 refused the read (${name || status}).`, where, { cause: error });
      }
      throw error;
    }
    checkContent(ref, body, site);
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }
}
