/**
 * The two S3 calls the lite client makes, shaped as the SDK's commands and outputs where the runtime
 * reads them. Apart from the client (client.ts), with nothing to evaluate: the runtime imports the
 * commands statically (payloads/store.ts), while the client and the SDK pieces it is built from load
 * on first use, as the SDK clients do (transport/aws-clients.ts).
 */
export interface GetObjectInput {
  readonly Bucket: string;
  readonly Key: string;
}

export interface PutObjectInput {
  readonly Bucket: string;
  readonly Key: string;
  readonly Body: Uint8Array | string;
  readonly ContentType?: string;
}

/** What every answer carries, as the SDK's `$metadata`. */
export interface ResponseMetadata {
  readonly httpStatusCode: number;
  readonly requestId?: string;
  readonly attempts: number;
  readonly totalRetryDelay: number;
}

export interface GetObjectOutput {
  /** The object's bytes, read in full before send() returns (payloads are checked whole anyway). */
  readonly Body: { transformToByteArray(): Promise<Uint8Array>; transformToString(encoding?: BufferEncoding): Promise<string> };
  readonly ContentLength: number;
  readonly ContentType?: string;
  readonly ETag?: string;
  readonly $metadata: ResponseMetadata;
}

export interface PutObjectOutput {
  readonly ETag?: string;
  readonly $metadata: ResponseMetadata;
}

/** GetObject, as the SDK's command is built: `new GetObjectCommand({ Bucket, Key })`. */
export class GetObjectCommand {
  public constructor(public readonly input: GetObjectInput) {}
}

/** PutObject of a body held in memory, as the SDK's command is built. */
export class PutObjectCommand {
  public constructor(public readonly input: PutObjectInput) {}
}

