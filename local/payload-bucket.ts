import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { payloadBucketName, type Topology } from '../runtime/topology';
import type { AwsClients } from '../runtime/transport';

/** The lifecycle rule's id, the same in CDK (cdk/lightbus-bus.ts) and here. */
export const PAYLOAD_EXPIRY_RULE_ID = 'expire-payloads';

/**
 * Creates the bus's payload bucket if it is missing and brings its settings up to date: the
 * lifecycle rule that expires payloads, S3-managed encryption, no public access. The local twin
 * of the bucket in cdk/lightbus-bus.ts, less its TLS-only bucket policy: a local worker may talk
 * to an emulator over plain http, and the SDK uses TLS against AWS anyway. The account and region come from the event
 * bus's ARN (as clients find it: runtime/payloads/bucket-locator.ts).
 */
export async function ensurePayloadBucket(clients: AwsClients, topology: Topology, eventBusArn: string): Promise<string> {
  const [, , , region = '', account = ''] = eventBusArn.split(':');
  const bucket = payloadBucketName(topology.busName, account, region);
  try {
    await clients.s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 takes no location constraint (and refuses one that names it).
        ...(region !== 'us-east-1' && region !== '' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {}),
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  await clients.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [{ ID: PAYLOAD_EXPIRY_RULE_ID, Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: topology.payloadBucket.expireAfterDays } }],
      },
    }),
  );
  await clients.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    }),
  );
  await clients.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    }),
  );
  return bucket;
}
