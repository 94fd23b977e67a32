/**
 * End to end on Lambda: `cdk bootstrap` + `cdk deploy --all` of the example app (cdk.json) to the
 * MiniStack emulator with the real CDK CLI, then drive the deployed workers.
 *
 * It deploys to an emulator of its own that evaluates IAM (test/support/iam-emulator.ts: AUTH=true,
 * over TLS): this test's `test` key is the account root, while every deployed function runs with
 * temporary credentials of its own execution role. The flows passing prove each worker and caller can do its
 * job with its own role; the least-privilege tests at the end prove each role is refused the rest.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { loadBusModuleTopology } from '../../cdk/bus-module-topology';
import { authApi } from '../../examples/auth/api';
import { usersTableName } from '../../examples/auth/users-table';
import { customersApi } from '../../examples/customers/api';
import { lightbus, silentLogger } from '../../runtime';
import type { Topology } from '../../runtime/topology';
import { REPO_ROOT, type EmulatorHandle } from '../../tools/emulator';
import { testEnvironment, uniqueName } from '../support/aws';
import { startIamEmulator } from '../support/iam-emulator';
import { invokeLambda } from './lambda-invoke';
import { describeLeastPrivilege, type DeployedExample } from './least-privilege';
import { describeSnsTransport } from './sns-transport';
import { allowSqsBatchActionsAsOnAws, assumeRole, createRole, functionRoleArn, roleNameOf } from './role-credentials';

jest.setTimeout(240_000);

// Created in beforeAll, once the IAM emulator runs and this file's environment points at it.
let iamEmulator: EmulatorHandle | undefined;
let sqs: SQSClient;
let dynamo: DynamoDBClient;
const busName = uniqueName('e2e');
const createAuthClient = () => lightbus.create({ busName, apis: [authApi], logger: silentLogger });
const createCustomers = () => lightbus.create({ busName, serviceName: 'customers', apis: [customersApi], logger: silentLogger });
let client: ReturnType<typeof createAuthClient>;
let customers: ReturnType<typeof createCustomers>;
const outdir = mkdtempSync(join(tmpdir(), 'lightbus-cdk-e2e-'));
const authTopology: Topology = loadBusModuleTopology(join(REPO_ROOT, 'examples', 'auth', 'bus.ts'), busName).topology;
const customersTopology: Topology = loadBusModuleTopology(join(REPO_ROOT, 'examples', 'customers', 'bus.ts'), busName).topology;
const usersTable = usersTableName(busName);

let outputs: Record<string, Record<string, string>>;
let caller: string;
const deployed: DeployedExample = { busName, authTopology, customersTopology, functions: {} as DeployedExample['functions'] };

function cdk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
      [...args, '--no-notices', '--output', join(outdir, 'cdk.out'), '--context', `busName=${busName}`],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', FORCE_COLOR: '0' },
        timeout: 180_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => (error ? reject(new Error(`cdk ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout + stderr)),
    );
  });
}

async function queueUrl(name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
}

async function queueAttribute(url: string, name: 'RedrivePolicy' | 'QueueArn'): Promise<string | undefined> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }))).Attributes?.[name];
}

async function checkPassword(username: string, password: string): Promise<boolean> {
  return client.auth.checkPassword({ username, password }, { timeoutMs: 15_000 });
}

/** Polls checkPassword until every user can log in or the deadline passes; the last answers. */
async function waitForUsers(emails: readonly string[], password: string, timeoutMs: number): Promise<boolean[]> {
  const deadline = Date.now() + timeoutMs;
  let valid: boolean[] = [];
  while (Date.now() < deadline) {
    valid = await Promise.all(emails.map((email) => checkPassword(email, password).catch(() => false)));
    if (valid.every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return valid;
}

/** A function name from the stack outputs: the one output whose key matches (`<function id>FunctionName`). */
function functionName(stack: 'Auth' | 'Customers' | 'Caller', outputKey: string | RegExp): string {
  const stackOutputs = Object.entries(outputs[`Lightbus-${busName}-${stack}`] ?? {});
  const found = stackOutputs.filter(([key]) => (typeof outputKey === 'string' ? key === outputKey : outputKey.test(key)));
  if (found.length !== 1) throw new Error(`expected one output ${String(outputKey)} in stack ${stack}; got ${JSON.stringify(outputs)}`);
  return found[0]![1];
}

beforeAll(async () => {
  iamEmulator = await startIamEmulator();
  const env = testEnvironment();
  const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
  sqs = new SQSClient(clientConfig);
  dynamo = new DynamoDBClient(clientConfig);
  client = createAuthClient();
  customers = createCustomers();
  customers.register(customersApi, {});
  const started = Date.now();
  await cdk(['bootstrap']);
  const bootstrapped = Date.now();
  await cdk(['deploy', '--all', '--require-approval', 'never', '--outputs-file', join(outdir, 'outputs.json')]);
  // Figures for the report; not asserted (timings live in bench/).
  process.stderr.write(`[e2e] cdk bootstrap ${bootstrapped - started} ms, cdk deploy --all ${Date.now() - bootstrapped} ms\n`);
  outputs = JSON.parse(readFileSync(join(outdir, 'outputs.json'), 'utf8')) as Record<string, Record<string, string>>;
  caller = functionName('Caller', 'CheckPasswordFunctionName');
  Object.assign(deployed.functions, {
    authWorker: functionName('Auth', 'WorkerFunctionName'),
    // The listener's own function (separateFunctions): its id names the listener.
    authListener: functionName('Auth', new RegExp(`${authTopology.listeners[0]!.listenerName}FunctionName$`)),
    customersWorker: functionName('Customers', 'WorkerFunctionName'),
    caller,
  });
  // Emulator gap, test setup only (see allowSqsBatchActionsAsOnAws and the contract test below).
  for (const fn of Object.values(deployed.functions)) await allowSqsBatchActionsAsOnAws(roleNameOf(await functionRoleArn(fn)));
});

afterAll(async () => {
  // The stacks go with the emulator; a `cdk destroy` would only add time.
  try {
    await client?.close();
    await customers?.close();
    sqs?.destroy();
    dynamo?.destroy();
  } finally {
    await iamEmulator?.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
});

describe('the example app deployed with cdk deploy', () => {
  it('runs on an emulator that enforces IAM', () => {
    // Otherwise every flow below would pass whatever the roles allow.
    expect(process.env.LIGHTBUS_TEST_EMULATOR_IAM).toBe('enforced');
  });

  it('emulator contract: CloudFormation keeps RedrivePolicy as the templates declare it', async () => {
    // As on AWS (MiniStack ≥ 1.5): DLQ redrive works on the deployed queues with no test setup.
    for (const model of [...authTopology.rpcQueues, ...authTopology.listeners]) {
      const deadLetterArn = await queueAttribute(await queueUrl(model.deadLetterQueueName), 'QueueArn');
      const redrive = await queueAttribute(await queueUrl(model.queueName), 'RedrivePolicy');
      expect(JSON.parse(redrive ?? 'null')).toEqual({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: model.redriveMaxReceiveCount });
    }
  });

  it('emulator contract (gap): CloudFormation does not enable TimeToLiveSpecification on the results table', async () => {
    // The construct tests assert the template declares it. Nothing here relies on result expiry
    // (the emulator's reaper runs every 60 s), so there is no workaround; when a MiniStack
    // release applies it, this fails: make it assert ENABLED then.
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: authTopology.resultsTable.name }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).not.toBe('ENABLED');
  });

  it('emulator contract (gap): IAM authorizes SQS batch operations as actions of their own (sqs:SendMessageBatch), unlike AWS', async () => {
    // On AWS sqs:SendMessage authorizes SendMessageBatch. The deployed roles get the batch
    // actions added in beforeAll (allowSqsBatchActionsAsOnAws); when this fails, delete that.
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('contract-batch') }))).QueueUrl!;
    const arn = await queueAttribute(url, 'QueueArn');
    const roleArn = await createRole(uniqueName('contract-send'), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: arn }],
    });
    const role = new SQSClient({ endpoint: testEnvironment().endpoint, region: testEnvironment().region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
    try {
      await expect(role.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }))).resolves.toBeDefined();
      await expect(role.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'two' }] }))).rejects.toMatchObject({
        name: expect.stringMatching(/^AccessDenied/),
      });
    } finally {
      role.destroy();
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    }
  });

  it('emulator contract (gap): IAM does not evaluate events:source (a StringEquals on it never matches)', async () => {
    // On AWS the role below may fire source lightbus.contract. It means the deployed roles cannot
    // fire at all here, so no flow below relies on a Lambda's fire being delivered, and the
    // event-source denials cannot be proven by calls (least-privilege.ts marks that test).
    const roleArn = await createRole(uniqueName('contract-fire'), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: '*', Condition: { StringEquals: { 'events:source': ['lightbus.contract'] } } }],
    });
    const role = new EventBridgeClient({ endpoint: testEnvironment().endpoint, region: testEnvironment().region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
    try {
      const put = role.send(new PutEventsCommand({ Entries: [{ EventBusName: authTopology.eventBus.name, Source: 'lightbus.contract', DetailType: 'contract.probe', Detail: '{}' }] }));
      await expect(put).rejects.toMatchObject({ name: expect.stringMatching(/^AccessDenied/) });
    } finally {
      role.destroy();
    }
  });

  it('emulator contract (gap): IAM does not evaluate dynamodb:LeadingKeys (a ForAllValues condition on it always holds)', async () => {
    // On AWS the role below may write only the item `allowed`; here it may write any key. The
    // schema-item denials cannot be proven by calls (least-privilege.ts marks those tests).
    const roleArn = await createRole(uniqueName('contract-keys'), {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem'],
          Resource: `arn:aws:dynamodb:${testEnvironment().region}:*:table/${usersTable}`,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['allowed'] } },
        },
      ],
    });
    const role = new DynamoDBClient({ endpoint: testEnvironment().endpoint, region: testEnvironment().region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
    try {
      const key = `contract-${randomUUID()}@example.com`;
      await expect(role.send(new PutItemCommand({ TableName: usersTable, Item: { username: { S: key } } }))).resolves.toBeDefined();
      await dynamo.send(new DeleteItemCommand({ TableName: usersTable, Key: { username: { S: key } } }));
    } finally {
      role.destroy();
    }
  });

  it('published the schemas at deploy time (Custom::LightbusSchemas served by the worker): no expiresAt', async () => {
    const item = (
      await dynamo.send(
        new GetItemCommand({ TableName: authTopology.resultsTable.name, Key: { pk: { S: 'schema#auth' } }, ConsistentRead: true }),
      )
    ).Item;
    expect(item).toMatchObject({ kind: { S: 'schema' }, api: { S: 'auth' }, publishedBy: { S: 'deploy:auth' } });
    expect(item?.expiresAt).toBeUndefined();
    // customers only fires events; its function exists to publish its schema.
    const customersItem = (
      await dynamo.send(new GetItemCommand({ TableName: authTopology.resultsTable.name, Key: { pk: { S: 'schema#customers' } }, ConsistentRead: true }))
    ).Item;
    expect(customersItem?.publishedBy).toEqual({ S: 'deploy:customers' });
  });

  it('serves auth.checkPassword to the test process and to a Lambda in another stack', async () => {
    await expect(checkPassword('nobody@example.com', 'whatever-password')).resolves.toBe(false);
    const invoked = await invokeLambda(caller, { username: 'nobody@example.com', password: 'whatever-password' });
    expect(invoked).toEqual({ functionError: undefined, payload: { valid: false } });
  });

  it('customers.newCustomer makes the auth listener Lambda call auth.createUser, served by the worker Lambda', async () => {
    // Emulator contract (1.5.33, as on AWS): event-source batches run concurrently, so the listener
    // Lambda waiting on an RPC does not keep the worker Lambda's queue from being served.
    const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'correct-horse-battery';
    await customers.customers.newCustomer.fire({ customerName: 'Ada Lovelace', email, initialPassword: password });
    expect(await waitForUsers([email], password, 60_000)).toEqual([true]);
    // The user is in auth's users table, which every instance of the worker function shares.
    const user = (await dynamo.send(new GetItemCommand({ TableName: usersTable, Key: { username: { S: email } }, ConsistentRead: true }))).Item;
    expect(user).toMatchObject({ username: { S: email }, displayName: { S: 'Ada Lovelace' } });
    await expect(invokeLambda(caller, { username: email, password })).resolves.toEqual({ functionError: undefined, payload: { valid: true } });
    await expect(invokeLambda(caller, { username: email, password: 'not-the-password' })).resolves.toMatchObject({ payload: { valid: false } });
  });

  it('carries a 300 KB event and the 300 KB call it causes through the payload bucket, under the deployed roles (#12)', async () => {
    // Over EventBridge's and SQS's limits: the test process stores the event's parameters; the
    // listener Lambda reads them (its grant: customers/event/<uuid>) and stores the parameters of
    // its auth.createUser call (auth/call/<uuid>), which the worker Lambda reads. IAM is enforced.
    const email = `big-${randomUUID().slice(0, 8)}@example.com`;
    const customerName = `Ada ${'Lovelace '.repeat(34_000)}`.trim();
    await customers.customers.newCustomer.fire({ customerName, email, initialPassword: 'correct-horse-battery' });
    expect(await waitForUsers([email], 'correct-horse-battery', 60_000)).toEqual([true]);
    const user = (await dynamo.send(new GetItemCommand({ TableName: usersTable, Key: { username: { S: email } }, ConsistentRead: true }))).Item;
    expect(user?.displayName?.S).toBe(customerName);
  });

  it('creates a user for each of many customers fired at once (concurrent listener and worker instances, one users table)', async () => {
    const tag = randomUUID().slice(0, 8);
    const emails = Array.from({ length: 12 }, (_, i) => `c${i}-${tag}@example.com`);
    // Fired in the same tick, they go out in two PutEvents calls; the listener gets them in batches.
    await Promise.all(emails.map((email) => customers.customers.newCustomer.fire({ customerName: email, email, initialPassword: 'correct-horse-battery' })));
    expect(await waitForUsers(emails, 'correct-horse-battery', 90_000)).toEqual(emails.map(() => true));
  });

  it("runs the auth service's scheduled task in the Lambda worker (EventBridge schedule rule → Scheduled Event)", async () => {
    // The emulator fires a rate(1 minute) rule about 60-70 s after it was created (during deploy).
    const prefix = 'task#auth#reportUserCount#';
    const deadline = Date.now() + 120_000;
    let runs: Record<string, { S?: string; N?: string }>[] = [];
    while (Date.now() < deadline) {
      const out = await dynamo.send(
        new ScanCommand({
          TableName: authTopology.resultsTable.name,
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': { S: prefix } },
          ConsistentRead: true,
        }),
      );
      runs = (out.Items ?? []) as typeof runs;
      if (runs.some((item) => item.state?.S === 'done')) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const done = runs.find((item) => item.state?.S === 'done');
    expect(done).toBeDefined();
    // No local worker runs in this suite: only the deployed worker function can have claimed it.
    expect(done!.claimedBy?.S).toBeTruthy();
    expect(Date.parse(done!.pk!.S!.slice(prefix.length))).not.toBeNaN();
  }, 150_000);
});

describeLeastPrivilege(deployed);
// The SNS fixture app, deployed on this file's bus after the example app (#12).
describeSnsTransport(busName);
