/**
 * Least privilege, proven by calls on an emulator that enforces IAM: each deployed function's
 * execution role (assumed through STS, role-credentials.ts) is refused what belongs to another
 * service, another API, or another kind of worker. Each denial sits beside a call the same role is
 * allowed, so a refusal cannot come from broken credentials.
 *
 * Registered by cdk-deploy.test.ts after its deploy (one deploy for the whole file), through
 * describeLeastPrivilege(); it only reads names from `deployed`, so renamed construct outputs
 * change cdk-deploy.test.ts alone.
 *
 * Tests marked `test.failing` cannot pass on the pinned emulator (IAM condition keys it does not
 * evaluate): each says why, and passes once a release evaluates them.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PayloadBucketLocator, PayloadKind, PayloadStore, PayloadUnresolvableError, UnresolvableProblem, payloadKey, sha256Hex } from '../../runtime/payloads';
import { S3ObjectClient } from '../../runtime/payloads/s3-lite';
import { AwsClients } from '../../runtime/transport';
import { eventSource } from '../../runtime/messages/wire';
import { rpcQueueName } from '../../runtime/topology/naming';
import type { Topology } from '../../runtime/topology';
import { testEnvironment } from '../support/aws';
import { functionRoleCredentials, type RoleCredentials } from './role-credentials';

export interface DeployedExample {
  readonly busName: string;
  readonly authTopology: Topology;
  readonly customersTopology: Topology;
  /** Deployed function names, filled in by the deploy (beforeAll). */
  readonly functions: {
    /** auth's default worker: serves auth's procedures, runs its task. */
    authWorker: string;
    /** auth's listener-only function (createUserForCustomer): calls auth.createUser. */
    authListener: string;
    /** customers' only function: publishes the customers schema at deploy time. */
    customersWorker: string;
    /** A plain function granted grantCall(…, 'auth'). */
    caller: string;
  };
}

/** SDK clients signed with one role's temporary credentials. */
interface RoleClients {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly events: EventBridgeClient;
  readonly s3: S3Client;
  readonly credentials: RoleCredentials;
}

function clientsFor(credentials: RoleCredentials): RoleClients {
  const env = testEnvironment();
  // No retries: a denial is final, and a retried one only slows the test down.
  const config = { endpoint: env.endpoint, region: env.region, credentials, maxAttempts: 1 };
  return { sqs: new SQSClient(config), dynamo: new DynamoDBClient(config), events: new EventBridgeClient(config), s3: new S3Client({ ...config, forcePathStyle: true }), credentials };
}

/** Resolves to the error's name when `call` is refused by IAM; fails the test otherwise. */
async function expectDenied(call: Promise<unknown>): Promise<void> {
  const outcome = await call.then(
    () => 'allowed',
    (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
  );
  expect(outcome).toMatch(/^AccessDenied(Exception)?: /);
}

export function describeLeastPrivilege(deployed: DeployedExample): void {
  describe('least privilege (IAM enforced by the emulator)', () => {
    const { authTopology } = deployed;
    const resultsTable = authTopology.resultsTable.name;
    const eventBusName = authTopology.eventBus.name;
    const authRpcQueue = authTopology.rpcQueues[0]!.queueName;
    const authListenerQueue = authTopology.listeners[0]!.queueName;
    const clients = new Map<string, RoleClients>();
    let root: SQSClient;
    let customersRpcQueueUrl: string;
    let otherApiQueueUrl: string;

    /** The clients of the role the named deployed function runs as. */
    async function roleOf(fn: keyof DeployedExample['functions']): Promise<RoleClients> {
      const name = deployed.functions[fn];
      let found = clients.get(name);
      if (found === undefined) {
        found = clientsFor(await functionRoleCredentials(name));
        clients.set(name, found);
      }
      return found;
    }

    const queueUrl = async (role: RoleClients, name: string) => (await role.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    const putResult = (role: RoleClients, pk: string, extra: Record<string, AttributeValue> = {}) =>
      role.dynamo.send(new PutItemCommand({ TableName: resultsTable, Item: { pk: { S: pk }, ...extra } }));
    const fire = (role: RoleClients, api: string) =>
      role.events.send(
        new PutEventsCommand({ Entries: [{ EventBusName: eventBusName, Source: eventSource(api), DetailType: `${api}.probe`, Detail: '{}' }] }),
      ).then((out) => {
        // PutEvents reports a refused entry in the response, not always as a thrown error.
        const code = out.Entries?.[0]?.ErrorCode;
        if (code !== undefined) throw Object.assign(new Error(out.Entries?.[0]?.ErrorMessage ?? code), { name: code });
        return out;
      });

    beforeAll(async () => {
      root = new SQSClient({ ...testEnvironment() });
      // Request queues of APIs whose queues do not exist in the example: customers (it has no
      // procedures today; auth lists it in `apis` to listen to its events) and an API nobody was
      // granted. Made as root, so the only thing a denial can come from is the role's policy.
      customersRpcQueueUrl = (await root.send(new CreateQueueCommand({ QueueName: rpcQueueName(deployed.busName, 'customers') }))).QueueUrl!;
      otherApiQueueUrl = (await root.send(new CreateQueueCommand({ QueueName: rpcQueueName(deployed.busName, 'inventory') }))).QueueUrl!;
    });

    afterAll(async () => {
      for (const url of [customersRpcQueueUrl, otherApiQueueUrl]) if (url) await root.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      root?.destroy();
      for (const role of clients.values()) {
        role.sqs.destroy();
        role.dynamo.destroy();
        role.events.destroy();
        role.s3.destroy();
      }
    });

    it('holds payloads to their API and kind: a role puts what it sends and gets what it receives, nothing else (#12)', async () => {
      const aws = new AwsClients();
      const Bucket = await new PayloadBucketLocator(aws, deployed.busName, () => eventBusName, undefined).name();
      aws.destroy();
      const put = (role: RoleClients, key: string) => role.s3.send(new PutObjectCommand({ Bucket, Key: key, Body: '{}' }));
      const get = (role: RoleClients, key: string) => role.s3.send(new GetObjectCommand({ Bucket, Key: key }));
      const listener = await roleOf('authListener');
      const worker = await roleOf('authWorker');
      const customersRole = await roleOf('customersWorker');
      // Allowed: the listener stores the parameters of its auth.createUser call, the worker reads them.
      const callKey = payloadKey('auth', 'call');
      await put(listener, callKey);
      await get(worker, callKey);
      await expectDenied(get(customersRole, callKey)); // not an API it serves
      await expectDenied(put(listener, payloadKey('auth', 'result'))); // results are the worker's to write
      await expectDenied(put(listener, payloadKey('customers', 'event'))); // not its API to fire
      await expectDenied(put(worker, 'auth/call/not-a-uuid')); // keys are <api>/<kind>/<uuid> exactly
      await expectDenied(get(await roleOf('caller'), payloadKey('customers', 'event'))); // a caller of auth only
    });

    it.each(['sdk', 'lite'] as const)(
      "reports a payload read IAM refuses as Denied (AccessDenied / 403) through the %s S3 client (the worker bundle's is the lite one)",
      async (kind) => {
        const aws = new AwsClients();
        const Bucket = await new PayloadBucketLocator(aws, deployed.busName, () => eventBusName, undefined).name();
        aws.destroy();
        const role = await roleOf('customersWorker'); // auth's calls are not its to read
        const env = testEnvironment();
        const s3 = kind === 'sdk' ? role.s3 : new S3ObjectClient({ endpoint: env.endpoint, region: env.region, forcePathStyle: true, maxAttempts: 1, credentials: role.credentials });
        const roleAws = new AwsClients();
        Object.defineProperty(roleAws, 's3', { get: () => s3 });
        const store = new PayloadStore(roleAws, new PayloadBucketLocator(roleAws, deployed.busName, () => eventBusName, Bucket));
        const site = { api: 'auth', member: 'createUser', kind: PayloadKind.Call, id: randomUUID() };
        const ref = { bucket: Bucket, key: payloadKey('auth', 'call'), bytes: 2, sha256: sha256Hex(Buffer.from('{}')) };
        try {
          const error = await store.get(site, ref).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(PayloadUnresolvableError);
          expect((error as PayloadUnresolvableError).problem).toBe(UnresolvableProblem.Denied);
          expect((error as Error).cause).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        } finally {
          if (s3 !== role.s3) s3.destroy();
          roleAws.destroy();
        }
      },
    );

    it("denies one service's role another service's queues", async () => {
      const customersRole = await roleOf('customersWorker');
      const url = await queueUrl(await roleOf('authWorker'), authRpcQueue); // allowed: auth's own queue
      const listenerUrl = await queueUrl(await roleOf('authListener'), authListenerQueue);
      await expectDenied(customersRole.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 })));
      await expectDenied(customersRole.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}' })));
      await expectDenied(customersRole.sqs.send(new ReceiveMessageCommand({ QueueUrl: listenerUrl, MaxNumberOfMessages: 1 })));
    });

    // Emulator gap, not a grant to fix: MiniStack 1.5.33 puts no events:source in the request
    // context, so the grants' `StringEquals events:source` never matches and no role may fire at
    // all (the contract test "IAM does not evaluate events:source" pins it). The denials hold, the
    // allowed fire of its own API fails. When a release evaluates the key, this passes: unmark it.
    test.failing("lets a service's role fire its own API's events and denies it another's", async () => {
      await fire(await roleOf('authWorker'), 'auth');
      await expectDenied(fire(await roleOf('customersWorker'), 'auth'));
      for (const authFunction of ['authWorker', 'authListener'] as const) {
        await expectDenied(fire(await roleOf(authFunction), 'customers'));
      }
    });

    // customersWorker and authWorker may write the results table, but not schema items of other
    // APIs: on AWS today's grants deny these (grantWriteResults: 'ForAllValues:StringNotLike'
    // dynamodb:LeadingKeys schema#*; grantPublishSchemas: 'ForAllValues:StringEquals'
    // dynamodb:LeadingKeys schema#<own api>). Emulator gap, not a grant to fix: MiniStack 1.5.33
    // puts no dynamodb:LeadingKeys in the request context, and a ForAllValues condition on an
    // absent key is true, so those two are allowed here (the contract test "IAM does not evaluate
    // dynamodb:LeadingKeys" pins it); when a release evaluates the key, they pass: unmark them.
    // authListener writes nothing to the results table, so its denial holds here too.
    const schemaCases: readonly { fn: keyof DeployedExample['functions']; api: string; emulatorGap: boolean }[] = [
      { fn: 'customersWorker', api: 'auth', emulatorGap: true },
      { fn: 'authWorker', api: 'customers', emulatorGap: true },
      { fn: 'authListener', api: 'customers', emulatorGap: false },
    ];
    for (const { fn, api, emulatorGap } of schemaCases) {
      (emulatorGap ? test.failing : it)(`denies ${fn} the schema item of ${api}`, async () => {
        await expectDenied(putResult(await roleOf(fn), `schema#${api}`, { kind: { S: 'schema' }, api: { S: api } }));
      });
    }

    it('denies a caller granted one API the other APIs, and everything a worker does', async () => {
      const callerRole = await roleOf('caller');
      // Allowed (its grantCall): find auth's request queue, read results.
      const url = await queueUrl(callerRole, authRpcQueue);
      await callerRole.dynamo.send(new GetItemCommand({ TableName: resultsTable, Key: { pk: { S: `probe#${randomUUID()}` } } }));
      // Denied: other APIs' request queues, consuming auth's, writing results, firing events.
      await expectDenied(callerRole.sqs.send(new SendMessageCommand({ QueueUrl: otherApiQueueUrl, MessageBody: '{}' })));
      await expectDenied(callerRole.sqs.send(new SendMessageCommand({ QueueUrl: customersRpcQueueUrl, MessageBody: '{}' })));
      await expectDenied(callerRole.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 })));
      await expectDenied(putResult(callerRole, `probe#${randomUUID()}`));
      await expectDenied(fire(callerRole, 'auth'));
    });

    // Call rights only for APIs with procedures (cdk/call-rights.ts): auth lists customers only to
    // listen to its events.
    it("denies a service the request queue of an API it lists in `apis` only to listen to its events", async () => {
      for (const authFunction of ['authWorker', 'authListener'] as const) {
        await expectDenied((await roleOf(authFunction)).sqs.send(new SendMessageCommand({ QueueUrl: customersRpcQueueUrl, MessageBody: '{}' })));
      }
    });

    it('denies every deployed role the request queue of an API nobody granted it', async () => {
      for (const fn of ['authWorker', 'authListener', 'customersWorker', 'caller'] as const) {
        await expectDenied((await roleOf(fn)).sqs.send(new SendMessageCommand({ QueueUrl: otherApiQueueUrl, MessageBody: '{}' })));
      }
    });

    // Results-table writes only for RPC and task workers (cdk/service-grants.ts).
    it('denies a listener-only function results writes', async () => {
      const listenerRole = await roleOf('authListener');
      // Allowed: it calls auth.createUser, so it reads results.
      await listenerRole.dynamo.send(new GetItemCommand({ TableName: resultsTable, Key: { pk: { S: `probe#${randomUUID()}` } } }));
      await expectDenied(putResult(listenerRole, `probe#${randomUUID()}`));
      await expectDenied(
        listenerRole.dynamo.send(
          new UpdateItemCommand({
            TableName: resultsTable,
            Key: { pk: { S: `probe#${randomUUID()}` } },
            UpdateExpression: 'SET probe = :v',
            ExpressionAttributeValues: { ':v': { S: 'x' } },
          }),
        ),
      );
    });
  });
}
