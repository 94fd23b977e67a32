/**
 * End to end on Lambda over SNS (#12): `cdk deploy` of the fixture app test/e2e/fixtures/sns/ (a
 * shop service owning an API on SNS and one on SNS FIFO; a watcher service, in another stack,
 * listening to both) into the IAM-enforcing emulator of cdk-deploy.test.ts, on its bus (already
 * deployed and bootstrapped there: one emulator and one bootstrap for both apps).
 *
 * Registered by cdk-deploy.test.ts through describeSnsTransport(), after its own deploy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { lightbus, silentLogger } from '../../runtime';
import { REPO_ROOT } from '../../tools/emulator';
import { testEnvironment, uniqueName } from '../support/aws';
import { apiSettings, HANDLED_TABLE_KEY, handledTableName, ordersApi, shipmentsApi } from './fixtures/sns/apis';
import { allowSqsBatchActionsAsOnAws, assumeRole, createRole, functionRoleArn, functionRoleCredentials, roleNameOf } from './role-credentials';

const FIXTURE_APP = `node --require tsx/cjs ${join('test', 'e2e', 'fixtures', 'sns', 'app.ts')}`;

function deployFixture(busName: string, outdir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
      [
        ...['deploy', '--all', '--require-approval', 'never', '--no-notices', '--app', FIXTURE_APP],
        ...['--output', join(outdir, 'cdk.out'), '--outputs-file', join(outdir, 'outputs.json'), '--context', `busName=${busName}`],
      ],
      { cwd: REPO_ROOT, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', FORCE_COLOR: '0' }, timeout: 180_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`cdk deploy (SNS fixture) failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

/** Polls `read` every 500 ms until `done` holds for its value or the deadline passes; the last value. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}

async function expectDenied(call: Promise<unknown>): Promise<void> {
  const outcome = await call.then(
    () => 'allowed',
    (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
  );
  // SNS names an IAM refusal AuthorizationError (AuthorizationErrorException in the SDK).
  expect(outcome).toMatch(/^(AccessDenied|AuthorizationError)(Exception)?: /);
}

export function describeSnsTransport(busName: string): void {
  describe('events over SNS and SNS FIFO, deployed with cdk deploy (#12)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lightbus-cdk-e2e-sns-'));
    const createClient = () => lightbus.create({ busName, serviceName: 'e2e-sns', apis: [ordersApi, shipmentsApi], apiSettings, logger: silentLogger });
    let client: ReturnType<typeof createClient>;
    let dynamo: DynamoDBClient;
    let sns: SNSClient;
    const functions = { shop: '', watcher: '' };
    let ordersTopic: string;
    let shipmentsTopic: string;
    let fifoTopicAsDeployed: string | undefined;

    const handledItem = async (pk: string) =>
      (await dynamo.send(new GetItemCommand({ TableName: handledTableName(busName), Key: { [HANDLED_TABLE_KEY]: { S: pk } }, ConsistentRead: true }))).Item;

    beforeAll(async () => {
      const env = testEnvironment();
      dynamo = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });
      sns = new SNSClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });
      const started = Date.now();
      await deployFixture(busName, outdir);
      process.stderr.write(`[e2e] cdk deploy --all (SNS fixture) ${Date.now() - started} ms\n`);
      const outputs = JSON.parse(readFileSync(join(outdir, 'outputs.json'), 'utf8')) as Record<string, Record<string, string>>;
      functions.shop = outputs[`LightbusSns-${busName}-Shop`]!.WorkerFunctionName!;
      functions.watcher = outputs[`LightbusSns-${busName}-Watcher`]!.WorkerFunctionName!;
      // Emulator gaps, test setup only: SQS and SNS batch actions (allowSqsBatchActionsAsOnAws; the
      // contract tests here and in cdk-deploy.test.ts pin them).
      for (const fn of Object.values(functions)) await allowSqsBatchActionsAsOnAws(roleNameOf(await functionRoleArn(fn)));
      // The emulator's account: the one the deployed roles belong to.
      const arnPrefix = `arn:aws:sns:${env.region}:${(await functionRoleArn(functions.shop)).split(':')[4]!}:`;
      ordersTopic = `${arnPrefix}${busName}-events-orders`;
      shipmentsTopic = `${arnPrefix}${busName}-events-shipments.fifo`;
      // Emulator gap, test setup only: its CloudFormation makes AWS::SNS::Topic without FifoTopic
      // (a standard topic named .fifo; the contract test below pins it). Make it FIFO, as the
      // template declares, before anything publishes to it (AWS refuses this attribute change).
      fifoTopicAsDeployed = (await sns.send(new GetTopicAttributesCommand({ TopicArn: shipmentsTopic }))).Attributes?.FifoTopic;
      for (const [AttributeName, AttributeValue] of [['FifoTopic', 'true'], ['ContentBasedDeduplication', 'false']] as const) {
        await sns.send(new SetTopicAttributesCommand({ TopicArn: shipmentsTopic, AttributeName, AttributeValue }));
      }
      client = createClient();
      client.register(shipmentsApi, {});
    });

    afterAll(async () => {
      await client?.close();
      dynamo?.destroy();
      sns?.destroy();
      rmSync(outdir, { recursive: true, force: true });
    });

    it('emulator contract (gap): CloudFormation makes AWS::SNS::Topic without FifoTopic', () => {
      // test/cdk/sns-transport.test.ts asserts the template declares FifoTopic: true. beforeAll
      // sets it on the deployed topic; when this fails, delete that workaround.
      expect(fifoTopicAsDeployed).toBeUndefined();
    });

    it('emulator contract: CloudFormation makes the subscriptions raw and filtered on the body, as declared', async () => {
      for (const topic of [ordersTopic, shipmentsTopic]) {
        const subscriptions = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions ?? [];
        expect(subscriptions.length).toBe(topic === ordersTopic ? 2 : 1);
        for (const { SubscriptionArn } of subscriptions) {
          const attributes = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes;
          expect(attributes).toMatchObject({ RawMessageDelivery: 'true', FilterPolicyScope: 'MessageBody' });
        }
      }
    });

    it("carries an event fired by the shop's worker Lambda over SNS to each listener of the watcher's Lambda, once per listener name", async () => {
      const orderId = `o-${randomUUID().slice(0, 8)}`;
      // orders.place runs in the shop's worker Lambda, which fires orders.placed under its own role.
      await expect(client.orders.place({ orderId }, { timeoutMs: 30_000 })).resolves.toBe(true);
      const counts = await pollUntil(
        async () => Promise.all(['ledger', 'mailer'].map(async (l) => (await handledItem(`placed#${l}#${orderId}`))?.handled?.N)),
        (found) => found.every((n) => n !== undefined),
        60_000,
      );
      expect(counts).toEqual(['1', '1']);
    });

    it('hands one shipment’s events to the ordered listener Lambda in order while another shipment proceeds past its held-back group', async () => {
      const run = randomUUID().slice(0, 8);
      // Each key's events fired in order (each fire awaited), the two keys interleaved.
      for (let seq = 1; seq <= 5; seq += 1) {
        await client.shipments.moved.fire({ shipmentId: `${run}-A`, seq });
        await client.shipments.moved.fire({ shipmentId: `${run}-B`, seq });
      }
      const readLog = async () => ((await handledItem(`moved#${run}`))?.handled?.L ?? []).map((e) => e.S ?? '');
      const log = await pollUntil(readLog, (entries) => entries.filter((e) => !e.endsWith('!')).length >= 10, 90_000);
      const handled = log.filter((e) => !e.endsWith('!'));
      expect(handled.filter((e) => e.startsWith('A'))).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
      expect(handled.filter((e) => e.startsWith('B'))).toEqual(['B1', 'B2', 'B3', 'B4', 'B5']);
      // A1 failed (its handler waits for B5), and A's later events waited for it; B did not.
      expect(log).toContain('A1!');
      expect(log.indexOf('B5')).toBeLessThan(log.indexOf('A1'));
    });

    it('lets each deployed role publish to the topics of its own APIs only', async () => {
      const env = testEnvironment();
      const inventoryTopic = (await sns.send(new CreateTopicCommand({ Name: uniqueName(`${busName}-events-inventory`) }))).TopicArn!;
      const as = async (fn: string) => new SNSClient({ endpoint: env.endpoint, region: env.region, credentials: await functionRoleCredentials(fn), maxAttempts: 1 });
      const shop = await as(functions.shop);
      const watcher = await as(functions.watcher);
      // Not an event: no listener's body filter matches it.
      const probe = (role: SNSClient, TopicArn: string) =>
        role.send(new PublishCommand({ TopicArn, Message: '{"probe":true}', ...(TopicArn.endsWith('.fifo') ? { MessageGroupId: 'probe', MessageDeduplicationId: randomUUID() } : {}) }));
      try {
        await probe(shop, ordersTopic); // allowed: its own API's topic
        await probe(shop, shipmentsTopic);
        await expectDenied(probe(shop, inventoryTopic)); // an API it does not register
        await expectDenied(probe(watcher, ordersTopic)); // it listens to orders, does not own it
        await expectDenied(probe(watcher, shipmentsTopic));
      } finally {
        shop.destroy();
        watcher.destroy();
        await sns.send(new DeleteTopicCommand({ TopicArn: inventoryTopic }));
      }
    });

    it('emulator contract (gap): IAM authorizes sns:PublishBatch as an action of its own, unlike AWS', async () => {
      // On AWS sns:Publish authorizes PublishBatch (the runtime fires with PublishBatch; the grants
      // name sns:Publish). The deployed roles get sns:PublishBatch added in beforeAll
      // (allowSqsBatchActionsAsOnAws); when this fails, delete that entry of its map.
      const topic = (await sns.send(new CreateTopicCommand({ Name: uniqueName('contract-publish') }))).TopicArn!;
      const roleArn = await createRole(uniqueName('contract-publish'), {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: topic }],
      });
      const env = testEnvironment();
      const role = new SNSClient({ endpoint: env.endpoint, region: env.region, credentials: await assumeRole(roleArn), maxAttempts: 1 });
      try {
        await expect(role.send(new PublishCommand({ TopicArn: topic, Message: 'one' }))).resolves.toBeDefined();
        await expect(role.send(new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: [{ Id: '1', Message: 'two' }] }))).rejects.toMatchObject({
          name: expect.stringMatching(/^AuthorizationError/),
        });
      } finally {
        role.destroy();
        await sns.send(new DeleteTopicCommand({ TopicArn: topic }));
      }
    });
  });
}
