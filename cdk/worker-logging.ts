import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Retention of a worker function's log group unless `LightbusServiceProps.logRetention` says otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** What a worker function is created with so that it logs to its own group and nowhere else. */
export interface WorkerLogging {
  /** The function's own log group (passed as the Function's `logGroup`). */
  readonly logGroup: logs.LogGroup;
  /** The function's execution role: no managed policy, only what the service grants it. */
  readonly role: iam.Role;
}

/**
 * A log group and an execution role for one worker function. The role gets
 * `logs:CreateLogStream` and `logs:PutLogEvents` on that log group alone, instead of the managed
 * `AWSLambdaBasicExecutionRole` (which allows `logs:CreateLogGroup`, `CreateLogStream` and
 * `PutLogEvents` on every log group of the account); the group exists before the function, so
 * the function never needs to create one.
 */
export function createWorkerLogging(scope: Construct, functionId: string, retention: logs.RetentionDays): WorkerLogging {
  const logGroup = new logs.LogGroup(scope, `${functionId}-Logs`, { retention });
  const role = new iam.Role(scope, `${functionId}-Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `lightbus worker ${functionId}: writes to its own log group only`,
  });
  logGroup.grantWrite(role);
  return { logGroup, role };
}
