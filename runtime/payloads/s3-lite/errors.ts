/** Fields of an S3 error answer's XML body (`<Error><Code>…</Code><Message>…</Message>…</Error>`). */
export interface S3ErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly requestId: string | undefined;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function element(xml: string, name: string): string | undefined {
  const found = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return found?.[1]?.replace(/&(amp|lt|gt|quot|apos);/g, (_, entity: string) => ENTITIES[entity]!);
}

/** The code, message and request id of an S3 error body; undefined fields when it has none (a HEAD, an empty or non-XML body). */
export function parseS3ErrorBody(xml: string): S3ErrorBody {
  return { code: element(xml, 'Code'), message: element(xml, 'Message'), requestId: element(xml, 'RequestId') };
}

/** The name S3's SDK client gives an error answer without a code in its body. */
function codeOfStatus(status: number): string {
  if (status === 404) return 'NotFound';
  if (status === 403) return 'Forbidden';
  if (status === 400) return 'BadRequest';
  return status >= 500 ? 'ServiceUnavailable' : 'UnknownError';
}

/**
 * An error answer from S3 to the lite client, shaped as the SDK's S3ServiceException is for the
 * code that handles both: `name` is S3's error code (NoSuchKey, AccessDenied, SlowDown, ...),
 * `$metadata.httpStatusCode` the HTTP status, `$fault` whose side it is.
 */
export class S3ObjectError extends Error {
  public readonly $fault: 'client' | 'server';
  public readonly $metadata: { httpStatusCode: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
  /** The HTTP answer's headers, for the retry strategy's Retry-After hint. */
  public readonly $response: { readonly statusCode: number; readonly headers: Readonly<Record<string, string>> };

  public constructor(status: number, headers: Readonly<Record<string, string>>, body: string) {
    const parsed = parseS3ErrorBody(body);
    const code = parsed.code ?? codeOfStatus(status);
    super(parsed.message ?? `S3 answered ${status} (${code}).`);
    this.name = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    const requestId = parsed.requestId ?? headers['x-amz-request-id'];
    this.$metadata = { httpStatusCode: status, ...(requestId !== undefined ? { requestId } : {}) };
    this.$response = { statusCode: status, headers };
  }
}
