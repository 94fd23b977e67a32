import { Duration, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { DEFAULT_PAYLOAD_EXPIRY_DAYS, payloadBucketName } from '../runtime/topology';

/** The lifecycle rule's id, as local provisioning names it (local/payload-bucket.ts). */
const PAYLOAD_EXPIRY_RULE_ID = 'expire-payloads';
/** How long the payload bucket's S3 access logs are kept. */
const ACCESS_LOG_RETENTION = Duration.days(90);

/** The payload bucket's props, as `LightbusBusProps` has them. */
export interface PayloadBucketProps {
  readonly payloadExpiration?: Duration;
  readonly removalPolicy?: RemovalPolicy;
}

/** `<bus>-payloads-<account>-<region>` in the stack's account and region (tokens if the stack has no env). */
export function payloadBucketNameIn(scope: Construct, busName: string): string {
  const stack = Stack.of(scope);
  return payloadBucketName(busName, stack.account, stack.region);
}

/**
 * The bus's payload bucket (runtime/payloads): payloads too large for their messages, under
 * `<api>/<kind>/<id>`. Objects expire by lifecycle rule (`payloadExpiration`, default 1 day);
 * S3-managed encryption, no public access, TLS only, server access logs to a bucket of their own.
 */
export function createPayloadBucket(scope: Construct, busName: string, props: PayloadBucketProps): s3.Bucket {
  const expiration = props.payloadExpiration ?? Duration.days(DEFAULT_PAYLOAD_EXPIRY_DAYS);
  const days = expiration.toDays({ integral: false });
  if (!Token.isUnresolved(days) && (!Number.isInteger(days) || days < 1)) {
    throw new ConstructValidationError(scope.node.path, `payloadExpiration must be a whole number of days, at least 1; got ${expiration.toHumanString()}.`, { days });
  }
  const secured = { encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true } as const;
  const accessLogs = new s3.Bucket(scope, 'PayloadAccessLogs', {
    ...secured,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_RETENTION }],
    ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
  });
  return new s3.Bucket(scope, 'PayloadBucket', {
    ...secured,
    bucketName: payloadBucketNameIn(scope, busName),
    lifecycleRules: [{ id: PAYLOAD_EXPIRY_RULE_ID, expiration }],
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'payloads/',
    ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
  });
}

/**
 * Lets `grantee` put and get payloads under the given key patterns (`<api>/<kind>/<uuid>`,
 * runtime/payloads/keys.ts) and nothing else of the bucket. Nothing for empty lists.
 */
export function grantPayloadKeys(bucket: s3.IBucket, grantee: iam.IGrantable, access: { readonly put?: readonly string[]; readonly get?: readonly string[] }): void {
  const objects = (patterns: readonly string[]) => [...new Set(patterns)].sort().map((pattern) => bucket.arnForObjects(pattern));
  if (access.put && access.put.length > 0) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: objects(access.put) });
  }
  if (access.get && access.get.length > 0) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objects(access.get) });
  }
}
