/**
 * A small S3 client for payload objects (GetObject, PutObject), which LightbusService's worker
 * bundles use in place of @aws-sdk/client-s3 (cdk/bundle.ts): see client.ts.
 */
export { S3ObjectClient, type S3ObjectClientConfig, type SendOptions } from './client';
export {
  GetObjectCommand,
  PutObjectCommand,
  type GetObjectInput,
  type GetObjectOutput,
  type PutObjectInput,
  type PutObjectOutput,
  type ResponseMetadata,
} from './commands';
export { encodeKey, objectLocation, type ObjectEndpointSettings, type ObjectLocation } from './endpoint';
export { parseS3ErrorBody, S3ObjectError, type S3ErrorBody } from './errors';
