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
  if (match?.[1] === undefined) throw new Error(`AssumeRole response has no ${tag}: ${xml}`);
  return match[1];
}

/** Temporary credentials of `roleArn` (STS AssumeRole as the account root). */
export async function assumeRole(roleArn: string): Promise<RoleCredentials> {
  const { endpoint, region } = emulator();
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: rootAuthorization(region, 'sts') },
    body: new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: `least-privilege-${randomUUID().slice(0, 8)}`,
    }).toString(),
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`AssumeRole ${roleArn} failed with HTTP ${response.status}: ${xml}`);
  return {
    accessKeyId: xmlValue(xml, 'AccessKeyId'),
    secretAccessKey: xmlValue(xml, 'SecretAccessKey'),
    sessionToken: xmlValue(xml, 'SessionToken'),
  };
}

/** The credentials the deployed function `functionName` runs with. */
export async function functionRoleCredentials(functionName: string): Promise<RoleCredentials> {
  return assumeRole(await functionRoleArn(functionName));
}
