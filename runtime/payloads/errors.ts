import { LightbusError } from '../errors/lightbus-error';
import type { PayloadKind } from './keys';

/** Why a payload reference could not be followed. */
export const UnresolvableProblem = {
  /** No object at the key: never written, or expired (the bucket's lifecycle rule deleted it). */
  Missing: 'missing',
  /** S3 refused the read (AccessDenied): this role may not read that API's payloads. */
  Denied: 'denied',
  /** The object's SHA-256 or size is not the one the reference names: changed or corrupted. */
  ChecksumMismatch: 'checksum-mismatch',
  /** The reference names another bucket, or a key that is not this message's own. */
  ForeignReference: 'foreign-reference',
  /** The reference names a payload larger than a receiver reads (MAX_PAYLOAD_BYTES). */
  TooLarge: 'too-large',
  /** The object (or a results item's reference) is not what the wire format says it holds. */
  Unreadable: 'unreadable',
} as const;
export type UnresolvableProblem = (typeof UnresolvableProblem)[keyof typeof UnresolvableProblem];

/** Where a reference was found: which API member, which part, which message. */
export interface PayloadSite {
  readonly api: string;
  readonly member: string;
  readonly kind: PayloadKind;
  /** The call id or event id. */
  readonly id: string;
}

const PART: Record<PayloadKind, string> = { call: 'parameters', result: 'result', event: 'event parameters' };

/**
 * A payload reference that cannot be resolved: retrying cannot help, so a worker dead-letters the
 * message with this error (reason `payload-unresolvable`), and a caller gets it instead of the result.
 */
export class PayloadUnresolvableError extends LightbusError {
  public constructor(
    site: PayloadSite,
    public readonly problem: UnresolvableProblem,
    detail: string,
    where: { readonly bucket?: string | undefined; readonly key?: string | undefined } = {},
    options?: { cause?: unknown },
  ) {
    super(
      'PAYLOAD_UNRESOLVABLE',
      `${site.api}.${site.member} (${site.id}): the ${PART[site.kind]} travel as a reference to the payload bucket, ` +
        `and it cannot be resolved (${problem}): ${detail}`,
      { api: site.api, member: site.member, part: PART[site.kind], id: site.id, problem, bucket: where.bucket, key: where.key },
      options,
    );
  }
}

/** Storing a payload in the bucket failed: the message was not sent. */
export class PayloadNotStoredError extends LightbusError {
  public constructor(site: PayloadSite, bucket: string | undefined, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'PAYLOAD_NOT_STORED',
      `${site.api}.${site.member} (${site.id}): the ${PART[site.kind]} are too large to travel inline and could not be ` +
        `stored in the payload bucket${bucket ? ` "${bucket}"` : ''}: ${reason}`,
      { api: site.api, member: site.member, part: PART[site.kind], id: site.id, bucket },
      { cause },
    );
  }
}
