/**
 * End to end on Lambda: `cdk bootstrap` + `cdk deploy --all` of the example app (cdk.json) to the
 * MiniStack emulator with the real CDK CLI, then drive the deployed workers.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, ScanCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { loadBusModuleTopology } from '../../cdk/bus-module-topology';
import { authApi } from '../../examples/auth/api';
import { customersApi } from '../../examples/customers/api';
import { lightbus, silentLogger } from '../../runtime';
import type { RpcRequest } from '../../runtime/messages';
import type { Topology } from '../../runtime/topology';
import { REPO_ROOT } from '../../tools/emulator';
import { testEnvironment, uniqueName } from '../support/aws';
import { queueRef, type QueueRef } from '../handlers/sqs-event';
import { EsmStandIn } from './esm-stand-in';
import { invokeLambda } from './lambda-invoke';

jest.setTimeout(240_000);

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const sqs = new SQSClient(clientConfig);
const dynamo = new DynamoDBClient(clientConfig);
const busName = uniqueName('e2e');
const outdir = mkdtempSync(join(tmpdir(), 'lightbus-cdk-e2e-'));
const authTopology: Topology = loadBusModuleTopology(join(REPO_ROOT, 'examples', 'auth', 'bus.ts'), busName).topology;

let outputs: Record<string, Record<string, string>>;
let authWorker: string;
let caller: string;
let rpcQueue: QueueRef;
const client = lightbus.create({ busName, apis: [authApi], logger: silentLogger });
const customers = lightbus.create({ busName, serviceName: 'customers', apis: [customersApi], logger: silentLogger });
customers.register(customersApi, {});

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

async function queueAttribute(url: string, name: 'RedrivePolicy' | 'ApproximateNumberOfMessages' | 'QueueArn'): Promise<string | undefined> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }))).Attributes?.[name];
}

async function checkPassword(username: string, password: string): Promise<boolean> {
  return client.auth.checkPassword({ username, password }, { timeoutMs: 15_000 });
}

beforeAll(async () => {
  const started = Date.now();
  await cdk(['bootstrap']);
  const bootstrapped = Date.now();
  await cdk(['deploy', '--all', '--require-approval', 'never', '--outputs-file', join(outdir, 'outputs.json')]);
  // Figures for the report; not asserted (timings live in bench/).
  process.stderr.write(`[e2e] cdk bootstrap ${bootstrapped - started} ms, cdk deploy --all ${Date.now() - bootstrapped} ms\n`);
  outputs = JSON.parse(readFileSync(join(outdir, 'outputs.json'), 'utf8')) as Record<string, Record<string, string>>;
  authWorker = outputs[`Lightbus-${busName}-Auth`]!.WorkerFunctionName!;
  caller = outputs[`Lightbus-${busName}-Caller`]!.CheckPasswordFunctionName!;
  rpcQueue = await queueRef(sqs, await queueUrl(authTopology.rpcQueues[0]!.queueName));
});

afterAll(async () => {
  // The stacks go with the emulator at the end of the run; a `cdk destroy` would only add time.
  await client.close();
  await customers.close();
  sqs.destroy();
  dynamo.destroy();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the example app deployed with cdk deploy', () => {
  it('emulator contract: CloudFormation drops RedrivePolicy and TimeToLiveSpecification (then the test setup restores them)', async () => {
    const queues = [...authTopology.rpcQueues, ...authTopology.listeners];
    for (const model of queues) {
      const url = await queueUrl(model.queueName);
      expect(await queueAttribute(url, 'RedrivePolicy')).toBeUndefined();
    }
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: authTopology.resultsTable.name }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).not.toBe('ENABLED');

    // Workaround, test setup only: apply what the templates declare (the construct tests assert
    // the templates carry both), so DLQ redrive and result expiry behave as on AWS.
    for (const model of queues) {
      const deadLetterArn = await queueAttribute(await queueUrl(model.deadLetterQueueName), 'QueueArn');
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: await queueUrl(model.queueName),
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: model.redriveMaxReceiveCount }) },
        }),
      );
    }
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: authTopology.resultsTable.name,
        TimeToLiveSpecification: { AttributeName: authTopology.resultsTable.timeToLiveAttribute, Enabled: true },
      }),
    );
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

  it('customers.newCustomer makes the auth listener Lambda call auth.createUser', async () => {
    const standIn = new EsmStandIn(sqs, rpcQueue, authWorker);
    try {
      const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
      const password = 'correct-horse-battery';
      await customers.customers.newCustomer.fire({ customerName: 'Ada Lovelace', email, initialPassword: password });
      const deadline = Date.now() + 60_000;
      let valid = false;
      while (!valid && Date.now() < deadline) {
        valid = await checkPassword(email, password).catch(() => false);
        if (!valid) await new Promise((r) => setTimeout(r, 500));
      }
      expect(valid).toBe(true);
      // The user lives in the auth worker's memory; the caller Lambda's call reaches the same worker.
      await expect(invokeLambda(caller, { username: email, password })).resolves.toEqual({ functionError: undefined, payload: { valid: true } });
      await expect(invokeLambda(caller, { username: email, password: 'not-the-password' })).resolves.toMatchObject({ payload: { valid: false } });
      // Emulator contract (see esm-stand-in.ts): the listener's createUser call reached the worker
      // only through the stand-in, because the emulator's one ESM thread was busy with the listener.
      expect(standIn.served.some((body) => (JSON.parse(body) as RpcRequest).procedure === 'createUser')).toBe(true);
    } finally {
      await standIn.stop();
    }
  });

  it('retries a failing record of a batch alone; the rest of the batch is not redelivered', async () => {
    // Three new customers at once: EventBridge queues all three before the ESM's next
    // tick, so auth's listener gets them as one batch. The stand-in serves every createUser call
    // except the first for `slow`, so exactly that listener record fails (RpcTimeoutError) and is
    // reported in batchItemFailures; the retry then succeeds.
    const tag = randomUUID().slice(0, 8);
    const emails = ['a', 'b', 'slow'].map((n) => `${n}-${tag}@example.com`);
    const usernameOf = (body: string) => (JSON.parse(body) as RpcRequest).parameters.username;
    const standIn = new EsmStandIn(sqs, rpcQueue, authWorker, (body) => usernameOf(body) === emails[2]);
    try {
      // Fired in the same tick, the three go out in one PutEvents call.
      await Promise.all(
        emails.map((email) => customers.customers.newCustomer.fire({ customerName: email, email, initialPassword: 'correct-horse-battery' })),
      );
      const deadline = Date.now() + 90_000;
      let created: boolean[] = [];
      while (Date.now() < deadline) {
        created = await Promise.all(emails.map((email) => checkPassword(email, 'correct-horse-battery').catch(() => false)));
        if (created.every(Boolean)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(created).toEqual([true, true, true]);
      expect(standIn.skipped).toBe(true);
      const calls = standIn.served.filter((body) => (JSON.parse(body) as RpcRequest).procedure === 'createUser').map(usernameOf);
      // a and b: their records succeeded the first time and were never delivered again;
      // slow: its record failed alone and its retry made the second createUser call.
      expect(calls.filter((u) => u === emails[0])).toHaveLength(1);
      expect(calls.filter((u) => u === emails[1])).toHaveLength(1);
      expect(calls.filter((u) => u === emails[2])).toHaveLength(1); // the skipped first call is not in `served`
    } finally {
      await standIn.stop();
    }
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
