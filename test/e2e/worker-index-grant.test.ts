/**
 * The worker-state grant on the shared index item `workers#index` (cdk/service-grants.ts
 * grantWorkerState), proven by calls on an emulator that evaluates IAM (test/support/iam-emulator.ts):
 * a role with exactly the policy the grant synthesizes for service `auth` sets and removes its own
 * entries `auth#<id>`, and is refused another service's (`billing#<id>`), which on AWS the grant's
 * `ForAllValues:StringLike dynamodb:Attributes ["pk", "auth#*"]` condition denies.
 *
 * The refusal is marked `test.failing`: MiniStack 1.5.33 does not evaluate dynamodb:Attributes (the
 * contract test below pins it), as it does not evaluate dynamodb:LeadingKeys (cdk-deploy.test.ts).
 * test/cdk/permissions.test.ts asserts the condition in the template.
 */
import { randomUUID } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { LightbusBus } from '../../cdk/lightbus-bus';
import { grantWorkerState } from '../../cdk/service-grants';
import { resultsTableName, WORKER_INDEX_KEY, type Topology } from '../../runtime/topology';
import type { EmulatorHandle } from '../../tools/emulator';
import { testEnvironment, uniqueName } from '../support/aws';
import { startIamEmulator } from '../support/iam-emulator';
import { assumeRole, createRole, type PolicyDocument } from './role-credentials';

jest.setTimeout(120_000);

const busName = uniqueName('wsgrant');
const tableName = resultsTableName(busName);
let emulator: EmulatorHandle | undefined;
let root: DynamoDBClient;
let auth: DynamoDBClient;

/** The CloudFormation of an ARN (`Fn::Join` of strings and `Ref AWS::Partition`) as the plain value the emulator takes. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record.Ref === 'AWS::Partition') return 'aws';
  const join = record['Fn::Join'] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(plain).join(join[0]);
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, plain(inner)]));
}

/** The policy grantWorkerState gives service `service`'s role on this bus, as synthesized. */
function workerStatePolicy(service: string): PolicyDocument {
  const env = testEnvironment();
  const stack = new Stack(new App(), 'Grant', { env: { account: '000000000000', region: env.region } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  grantWorkerState(LightbusBus.fromBusName(stack, 'Bus', busName), { serviceName: service } as Topology, role);
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return plain(policies[0]!.Properties.PolicyDocument) as PolicyDocument;
}

/** UpdateItem on the index naming one entry, as WorkerStateStore writes (SET) and prunes (REMOVE) it. */
function updateEntry(client: DynamoDBClient, action: 'SET' | 'REMOVE', entry: string): Promise<unknown> {
  return client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: WORKER_INDEX_KEY } },
      UpdateExpression: action === 'SET' ? 'SET #entry = :expiresAt' : 'REMOVE #entry',
      ExpressionAttributeNames: { '#entry': entry },
      ...(action === 'SET' ? { ExpressionAttributeValues: { ':expiresAt': { N: String(Math.ceil(Date.now() / 1000) + 300) } } } : {}),
    }),
  );
}

async function expectDenied(call: Promise<unknown>): Promise<void> {
  await expect(call).rejects.toMatchObject({ name: expect.stringMatching(/^AccessDenied/) });
}

beforeAll(async () => {
  emulator = await startIamEmulator();
  const env = testEnvironment();
  root = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });
  await root.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const roleArn = await createRole(uniqueName('wsgrant-auth'), workerStatePolicy('auth'));
  auth = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
});

afterAll(async () => {
  try {
    await root?.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    root?.destroy();
    auth?.destroy();
  } finally {
    await emulator?.stop();
  }
});

describe('the worker index grant (IAM enforced by the emulator)', () => {
  it('lets a service set and remove its own entries of workers#index', async () => {
    const own = `auth#${randomUUID().slice(0, 12).replace(/-/g, '0')}`;
    await updateEntry(auth, 'SET', own);
    await updateEntry(auth, 'REMOVE', own);
  });

  it('emulator contract (gap): IAM does not evaluate dynamodb:Attributes (a ForAllValues condition on it always holds)', async () => {
    // On AWS the role below may update only the attribute `allowed` (and name the key `pk`); here any.
    const env = testEnvironment();
    const roleArn = await createRole(uniqueName('contract-attrs'), {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:UpdateItem'],
          Resource: `arn:aws:dynamodb:${env.region}:*:table/${tableName}`,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'allowed'] } },
        },
      ],
    });
    const role = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
    try {
      await expect(updateEntry(role, 'SET', 'not-allowed')).resolves.toBeDefined();
    } finally {
      role.destroy();
    }
  });

  // Emulator gap, not a grant to fix (the contract test above): on AWS the attribute condition
  // refuses both. When a release evaluates dynamodb:Attributes this passes: unmark it.
  test.failing("denies a service setting or removing another service's entry", async () => {
    const others = `billing#${randomUUID().slice(0, 12).replace(/-/g, '0')}`;
    await updateEntry(root, 'SET', others);
    await expectDenied(updateEntry(auth, 'SET', others));
    await expectDenied(updateEntry(auth, 'REMOVE', others));
  });
});
