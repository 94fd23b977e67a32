/**
 * Credentials of a deployed function's execution role, for proving at run time what that role may
 * and may not do (the emulator runs with IAM enforced, see test/support/global-setup.ts).
 *
 * The test's own `test` key is the emulator account's root, which may assume any role whose trust
 * policy names a service principal (MiniStack matches `Service` entries against the account root),
 * so the role a Lambda runs as can be assumed directly: STS AssumeRole, then SDK clients signed
 * with the session. Like lambda-invoke.ts, plain HTTP: the project has no STS or Lambda SDK client,
 * and the emulator checks no signature for the root key.
 */
import { randomUUID } from 'node:crypto';

export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

function emulator(): { endpoint: string; region: string } {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('role-credentials needs AWS_ENDPOINT_URL (the emulator from the jest global setup)');
  return { endpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
}

function rootAuthorization(region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** The execution role ARN of a deployed Lambda function (Lambda GetFunction). */
export async function functionRoleArn(functionName: string): Promise<string> {
  const { endpoint, region } = emulator();
  const response = await fetch(`${endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}`, {
    headers: { authorization: rootAuthorization(region, 'lambda') },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GetFunction ${functionName} failed with HTTP ${response.status}: ${text}`);
  const role = (JSON.parse(text) as { Configuration?: { Role?: string } }).Configuration?.Role;
  if (role === undefined) throw new Error(`GetFunction ${functionName} returned no execution role: ${text}`);
  return role;
}

function xmlValue(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml);
  if (match?.[1] === undefined) throw new Error(`response has no ${tag}: ${xml}`);
  return match[1]
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** One Query-protocol call (IAM, STS) as the account root; the XML answer. */
async function rootQuery(service: 'iam' | 'sts', version: string, params: Record<string, string>): Promise<string> {
  const { endpoint, region } = emulator();
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: rootAuthorization(region, service) },
    body: new URLSearchParams({ ...params, Version: version }).toString(),
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`${service} ${params.Action} failed with HTTP ${response.status}: ${xml}`);
  return xml;
}

const iam = (params: Record<string, string>) => rootQuery('iam', '2010-05-08', params);

/** Temporary credentials of `roleArn` (STS AssumeRole as the account root). */
export async function assumeRole(roleArn: string): Promise<RoleCredentials> {
  const xml = await rootQuery('sts', '2011-06-15', {
    Action: 'AssumeRole',
    RoleArn: roleArn,
    RoleSessionName: `least-privilege-${randomUUID().slice(0, 8)}`,
  });
  return {
    accessKeyId: xmlValue(xml, 'AccessKeyId'),
    secretAccessKey: xmlValue(xml, 'SecretAccessKey'),
    sessionToken: xmlValue(xml, 'SessionToken'),
  };
}

/** Creates a role Lambda may assume, with one inline policy; returns its ARN. */
export async function createRole(roleName: string, policy: PolicyDocument): Promise<string> {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const xml = await iam({ Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
  await iam({ Action: 'PutRolePolicy', RoleName: roleName, PolicyName: 'only', PolicyDocument: JSON.stringify(policy) });
  return xmlValue(xml, 'Arn');
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

/**
 * On AWS the SQS batch operations are authorized by the single-message actions: SendMessageBatch
 * needs sqs:SendMessage, DeleteMessageBatch sqs:DeleteMessage, ChangeMessageVisibilityBatch
 * sqs:ChangeMessageVisibility (there are no sqs:*Batch IAM actions).
 */
const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  'sqs:SendMessage': 'sqs:SendMessageBatch',
  'sqs:DeleteMessage': 'sqs:DeleteMessageBatch',
  'sqs:ChangeMessageVisibility': 'sqs:ChangeMessageVisibilityBatch',
  // The same gap for SNS (the contract test in sns-transport.ts pins it): on AWS sns:Publish
  // authorizes PublishBatch, and there is no sns:PublishBatch action.
  'sns:Publish': 'sns:PublishBatch',
};

/** The policy name the batch-actions workaround adds to a role. */
export const EMULATOR_BATCH_ACTIONS_POLICY = 'emulator-sqs-batch-actions';

/**
 * Workaround for an emulator gap, test setup only (MiniStack 1.5.33 authorizes each SQS batch
 * operation as an action of its own name, e.g. sqs:SendMessageBatch, which no AWS policy grants;
 * the contract test in cdk-deploy.test.ts pins it): to `roleName`, adds an inline policy that
 * allows the batch actions wherever its inline policies allow the single-message ones, same
 * resources and conditions — i.e. what the role allows on AWS, nothing more.
 */
export async function allowSqsBatchActionsAsOnAws(roleName: string): Promise<void> {
  const listed = await iam({ Action: 'ListRolePolicies', RoleName: roleName });
  const names = [...listed.matchAll(/<member>([^<]+)<\/member>/g)].map((m) => m[1]!).filter((n) => n !== EMULATOR_BATCH_ACTIONS_POLICY);
  const statements: PolicyStatement[] = [];
  for (const policyName of names) {
    const xml = await iam({ Action: 'GetRolePolicy', RoleName: roleName, PolicyName: policyName });
    const document = JSON.parse(decodeURIComponent(xmlValue(xml, 'PolicyDocument'))) as PolicyDocument;
    const list = Array.isArray(document.Statement) ? document.Statement : [document.Statement as unknown as PolicyStatement];
    for (const statement of list) {
      const actions: readonly string[] = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
      const batch = actions.map((a) => SQS_BATCH_ACTIONS[a]).filter((a): a is string => a !== undefined);
      if (statement.Effect === 'Allow' && batch.length > 0) statements.push({ ...statement, Action: batch });
    }
  }
  if (statements.length === 0) return;
  await iam({
    Action: 'PutRolePolicy',
    RoleName: roleName,
    PolicyName: EMULATOR_BATCH_ACTIONS_POLICY,
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  });
}

/** The role name in a role ARN (after the last `/`). */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** The credentials the deployed function `functionName` runs with. */
export async function functionRoleCredentials(functionName: string): Promise<RoleCredentials> {
  return assumeRole(await functionRoleArn(functionName));
}
