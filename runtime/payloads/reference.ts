import { createHash } from 'node:crypto';
import { PayloadUnresolvableError, UnresolvableProblem, type PayloadSite } from './errors';
import { isPayloadKeyOf } from './keys';

/**
 * What travels instead of a payload: `parametersRef` in an RPC request or event detail, `resultRef`
 * (as JSON text) in a results item. The object at `bucket`/`key` holds the payload's JSON text
 * (UTF-8): the parameters object, or the result. Documented in docs/wire-format.md ("Large payloads").
 */
export interface PayloadReference {
  readonly bucket: string;
  readonly key: string;
  /** The object's size in bytes. */
  readonly bytes: number;
  /** The lowercase hex SHA-256 of the object's bytes. */
  readonly sha256: string;
}

/**
 * The largest payload a receiver reads (64 MiB): a reference names its size, and a sender should
 * not be able to make a worker load gigabytes into memory.
 */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** `<api>/<kind>/<id>` never reaches S3's 1024-byte key limit (128 + 6 + 128 characters). */
const MAX_KEY_LENGTH = 1024;

/** A structurally valid reference (what the wire format allows); whether it can be followed is checked on resolving. */
export function isPayloadReference(value: unknown): value is PayloadReference {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ref = value as Record<string, unknown>;
  return (
    typeof ref.bucket === 'string' &&
    BUCKET_NAME.test(ref.bucket) &&
    typeof ref.key === 'string' &&
    ref.key.length > 0 &&
    ref.key.length <= MAX_KEY_LENGTH &&
    Number.isSafeInteger(ref.bytes) &&
    (ref.bytes as number) >= 0 &&
    typeof ref.sha256 === 'string' &&
    SHA256_HEX.test(ref.sha256)
  );
}

/** What a reference must name to be followed: the bus's own bucket (if known) and a key of the message's API and kind. */
export interface ExpectedPlace {
  readonly site: PayloadSite;
  /** The bus's payload bucket, or undefined when this process does not know it (any bucket IAM lets it read). */
  readonly bucket: string | undefined;
}

/**
 * Checks that a reference names a payload of this message's API and kind (`<api>/<kind>/<uuid>`),
 * in the bus's bucket, of a size a receiver reads. A sender must not be able to point a worker's
 * read permissions at another API's payloads, or at an object of another kind.
 */
export function checkReference(ref: PayloadReference, expected: ExpectedPlace): void {
  const { site } = expected;
  const where = { bucket: ref.bucket, key: ref.key };
  if (!isPayloadKeyOf(ref.key, site.api, site.kind)) {
    const expected = `${site.api}/${site.kind}/<uuid>`;
    throw new PayloadUnresolvableError(site, UnresolvableProblem.ForeignReference, `its key must be "${expected}"; it names "${ref.key}".`, where);
  }
  if (expected.bucket !== undefined && ref.bucket !== expected.bucket) {
    throw new PayloadUnresolvableError(
      site,
      UnresolvableProblem.ForeignReference,
      `it names bucket "${ref.bucket}", but this bus's payload bucket is "${expected.bucket}".`,
      where,
    );
  }
  if (ref.bytes > MAX_PAYLOAD_BYTES) {
    throw new PayloadUnresolvableError(site, UnresolvableProblem.TooLarge, `it names ${ref.bytes} bytes; receivers read at most ${MAX_PAYLOAD_BYTES}.`, where);
  }
}

/** Checks the bytes read against the reference's size and SHA-256. */
export function checkContent(ref: PayloadReference, body: Uint8Array, site: PayloadSite): void {
  const where = { bucket: ref.bucket, key: ref.key };
  if (body.byteLength !== ref.bytes) {
    throw new PayloadUnresolvableError(site, UnresolvableProblem.ChecksumMismatch, `the object has ${body.byteLength} bytes; the reference says ${ref.bytes}.`, where);
  }
  const actual = sha256Hex(body);
  if (actual !== ref.sha256) {
    throw new PayloadUnresolvableError(site, UnresolvableProblem.ChecksumMismatch, `the object's SHA-256 is ${actual}; the reference says ${ref.sha256}.`, where);
  }
}

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Reads a results item's `resultRef` (JSON text), refusing anything that is not a reference. */
export function parseReferenceText(text: string, site: PayloadSite): PayloadReference {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!isPayloadReference(value)) {
    throw new PayloadUnresolvableError(site, UnresolvableProblem.Unreadable, 'the reference is not a JSON object {bucket, key, bytes, sha256}.');
  }
  return value;
}
