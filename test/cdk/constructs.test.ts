/** The CDK constructs, on synthesized templates (the emulator enforces no IAM: see emulator.md gap 7). */
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LightbusBus, LightbusService, type LightbusServiceProps } from '../../cdk/index';
import { ConfigurationError } from '../../runtime/errors';

const AUTH = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');
const CUSTOMERS = join(__dirname, '..', '..', 'examples', 'customers', 'bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

function statementsOf(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

/** Every string in a value (a resource, a condition), Fn::Join parts and Fn::GetAtt names included. */
function flattenStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(flattenStrings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(flattenStrings);
  return [];
}

/**
 * Resource strings with a `*` we accept on purpose, each with its reason. None so far: every
 * statement names its queue, table or bus (the schema keys' `schema#*` is a condition value, not a
 * resource).
 */
const ACCEPTED_WILDCARD_RESOURCES: readonly { readonly pattern: RegExp; readonly reason: string }[] = [];

const RESULTS_TABLE_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:111111111111:table/shop-results']] };
const KEYS_PRESENT = { Null: { 'dynamodb:LeadingKeys': 'false' } };
/** RPC writers: call-result keys only (no `#`: never a task record, schema or dedupe record). */
const CALL_RESULT_KEYS_ONLY = { 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': ['*#*'] } };
const RESULT_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Batched claims, for RPC workers only: the same key condition, failing closed when the key is absent. */
/** PartiQLInsert and PartiQLUpdate: the batched claims and results (BatchExecuteStatement) of an RPC worker, on call-result keys only. */
const BATCHED_CLAIMS = { Effect: 'Allow', Action: ['dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate'], Resource: RESULTS_TABLE_ARN, Condition: { ...CALL_RESULT_KEYS_ONLY, ...KEYS_PRESENT } };
/** Task runners: their own service's run records only. */
const taskRuns = (service: string) => ({
  Effect: 'Allow',
  Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  Resource: RESULTS_TABLE_ARN,
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`task#${service}#*`] } },
});
/** Callers: the results of their own calls (`<scope>.*`) and the published schemas, nothing else. */
const scopedReads = (scope: string) => ({
  Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
  Resource: RESULTS_TABLE_ARN,
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${scope}.*`, 'schema#*'] } },
});

function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function serviceStack(props: Partial<LightbusServiceProps> = {}, busName = 'shop') {
  const app = new App();
  const stack = new Stack(app, 'Auth', { env: ENV });
  const service = new LightbusService(stack, 'Auth', { bus: LightbusBus.fromBusName(stack, 'Bus', busName), busModule: AUTH, ...props });
  return { app, stack, service, template: Template.fromStack(stack) };
}

describe('LightbusBus', () => {
  const app = new App();
  const stack = new Stack(app, 'Bus', { env: ENV });
  new LightbusBus(stack, 'Bus', { busName: 'shop' });
  const template = Template.fromStack(stack);

  it('creates the event bus and an encrypted, on-demand results table with TTL', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'shop' });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'shop-results',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('keeps the table (it holds the API schemas) unless told otherwise', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const other = new Stack(new App(), 'Other');
    new LightbusBus(other, 'Bus', { busName: 'shop', removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(other).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('rejects bus names that cannot be part of resource names, saying what is allowed', () => {
    expect(() => new LightbusBus(new Stack(new App(), 'S'), 'Bus', { busName: 'my bus' })).toThrow(
      /Invalid bus name "my bus".*letters, digits, "-" and "_"/,
    );
    expect(() => LightbusBus.fromBusName(new Stack(new App(), 'S'), 'Bus', '')).toThrow(ConfigurationError);
  });
});

describe('LightbusService: resources come from the bus module', () => {
  const { template, service } = serviceStack();

  it('creates a request queue per API and a queue + rule per listener, each with a DLQ, all encrypted', () => {
    const names = Object.values(template.findResources('AWS::SQS::Queue')).map((q) => (q as { Properties: { QueueName: string } }).Properties.QueueName);
    expect(names.sort()).toEqual(
      ['shop-listen-auth-createUserForCustomer', 'shop-listen-auth-createUserForCustomer-dlq', 'shop-rpc-auth', 'shop-rpc-auth-dlq'].sort(),
    );
    expect(service.topology.rpcQueues.map((q) => q.queueName)).toEqual(['shop-rpc-auth']);
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect((queue as { Properties: Record<string, unknown> }).Properties.SqsManagedSseEnabled).toBe(true);
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-listen-auth-createUserForCustomer',
      VisibilityTimeout: 30,
      RedrivePolicy: { maxReceiveCount: 6, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'shop-rpc-auth', RedrivePolicy: { maxReceiveCount: 3 } });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'shop-auth-createUserForCustomer',
      EventBusName: 'shop',
      EventPattern: { source: ['lightbus.customers'], 'detail-type': ['customers.newCustomer'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ListenerQueuecreateUserForCustomer'), 'Arn'] } })],
    });
  });

  it('runs one worker function by default, fed by SQS event sources with partial batch responses', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Timeout: 30,
      Environment: {
        Variables: Match.objectLike({
          LIGHTBUS_BUS_NAME: 'shop',
          LIGHTBUS_SERVICE_NAME: 'auth',
          LIGHTBUS_EVENT_BUS_NAME: 'shop',
          LIGHTBUS_RESULTS_TABLE: 'shop-results',
          LIGHTBUS_QUEUE_URL_PREFIX: Match.anyValue(),
        }),
      },
    });
  });

  it('admits to a listener queue only its own rule, and only over TLS', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('ListenerRule'), 'Arn'] } } },
          }),
        ]),
      },
    });
    for (const policy of Object.values(template.findResources('AWS::SQS::QueuePolicy'))) {
      const statements = (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('bundles the module once, without CDK code, AWS SDK included', () => {
    expect(service.bundle!.sizeBytes).toBeGreaterThan(100_000);
    expect(service.bundle!.sizeBytes).toBeLessThan(3_000_000);
  });
});

describe('LightbusService: least privilege', () => {
  const app = new App();
  const authStack = new Stack(app, 'Auth', { env: ENV });
  new LightbusService(authStack, 'Auth', { bus: LightbusBus.fromBusName(authStack, 'Bus', 'shop'), busModule: AUTH });
  const customersStack = new Stack(app, 'Customers', { env: ENV });
  new LightbusService(customersStack, 'Customers', { bus: LightbusBus.fromBusName(customersStack, 'Bus', 'shop'), busModule: CUSTOMERS });
  const callerStack = new Stack(app, 'Caller', { env: ENV });
  const code = lambda.Code.fromInline('exports.handler = async () => null');
  const granted = new lambda.Function(callerStack, 'Granted', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
  const ungranted = new lambda.Function(callerStack, 'Ungranted', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
  LightbusBus.fromBusName(callerStack, 'Bus', 'shop').grantCall(granted, 'auth');
  // A container worker of auth (grantRunWorker), in a stack of its own.
  const runner = new Stack(app, 'Runner', { env: ENV });
  const runnerService = new LightbusService(runner, 'Auth', { bus: LightbusBus.fromBusName(runner, 'Bus', 'shop'), busModule: AUTH });
  runnerService.grantRunWorker(new iam.Role(runner, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
  const authTemplate = Template.fromStack(authStack);
  const authStatements = statementsOf(authTemplate);
  const customersStatements = statementsOf(Template.fromStack(customersStack));
  const callerTemplate = Template.fromStack(callerStack);
  const grantedScope = (callerTemplate.findResources('AWS::Lambda::Function') as Record<string, { Properties: { Environment?: { Variables: Record<string, string> } } }>)[
    callerStack.getLogicalId(granted.node.defaultChild as never)
  ]!.Properties.Environment!.Variables.LIGHTBUS_CALLER_SCOPE!;
  const rpcArn = (api: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:eu-west-1:111111111111:shop-rpc-${api}`]] });

  it('never grants on a resource with a "*" in it, nor a wildcard action', () => {
    const all = [...authStatements, ...customersStatements, ...statementsOf(callerTemplate), ...statementsOf(Template.fromStack(runner))];
    expect(all.length).toBeGreaterThan(10);
    for (const statement of all) {
      for (const resource of flattenStrings(statement.Resource)) {
        if (!resource.includes('*')) continue;
        expect(ACCEPTED_WILDCARD_RESOURCES.some((accepted) => accepted.pattern.test(resource))).toBe(true);
      }
      expect(actions(statement).every((a) => !a.includes('*'))).toBe(true);
    }
  });

  it('lets a worker consume only its own queues and dead-letter only into its own DLQs', () => {
    const ownQueues = Object.keys(authTemplate.findResources('AWS::SQS::Queue'));
    const consuming = authStatements.filter((s) => actions(s).includes('sqs:ReceiveMessage'));
    expect(consuming.length).toBeGreaterThan(0);
    for (const statement of consuming) {
      const ref = (statement.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(ownQueues).toContain(ref);
    }
    // The customers worker's policies never mention auth's queues.
    expect(JSON.stringify(customersStatements)).not.toMatch(/listen-auth|rpc-auth/);
    expect(JSON.stringify(authStatements)).not.toMatch(/listen-customers/);
    // Sending: own DLQs (by reference), and by name the request queue of the API it serves (its
    // listener calls auth.createUser); none for customers, an API of events only (no queue).
    const sending = authStatements.filter((s) => actions(s).includes('sqs:SendMessage'));
    const byName = sending.filter((s) => !JSON.stringify(s.Resource).includes('Fn::GetAtt')).map((s) => s.Resource);
    expect(byName).toEqual([rpcArn('auth')]);
    expect(JSON.stringify(authStatements)).not.toMatch(/rpc-customers/);
    for (const s of sending.filter((s) => JSON.stringify(s.Resource).includes('Fn::GetAtt'))) {
      expect(JSON.stringify(s.Resource)).toMatch(/DLQ/);
    }
  });

  it('lets a worker write call results (keys without "#"), its own task records, and publish only its own APIs\' schemas', () => {
    const writes = authStatements.filter((s) =>
      actions(s).some((a) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLInsert'].includes(a)),
    );
    expect(writes).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: RESULT_WRITES, Resource: RESULTS_TABLE_ARN, Condition: CALL_RESULT_KEYS_ONLY },
        // PartiQLInsert/PartiQLUpdate: the batched claims and results (BatchExecuteStatement) of the worker that serves auth's RPCs.
        BATCHED_CLAIMS,
        // auth's scheduled tasks: task#auth#* only.
        taskRuns('auth'),
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          Resource: RESULTS_TABLE_ARN,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['schema#auth'] } },
        },
        // The owner record of each API it publishes (one owning service per API): PutItem only.
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: RESULTS_TABLE_ARN, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['owner#auth'] } } },
      ]),
    );
    // Every DynamoDB write is limited by key: none is unconditional.
    for (const statement of writes) expect(statement.Condition).toBeDefined();
    // PartiQL: INSERT (the claims) and UPDATE (the results) only, never SELECT/DELETE.
    expect(authStatements.flatMap(actions).filter((a) => a.startsWith('dynamodb:PartiQL'))).toEqual(['dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate']);
    expect(writes).toHaveLength(5);
    // No write grant names another service's task records or leaves keys open.
    expect(JSON.stringify(writes)).not.toMatch(/task#(?!auth#)|"schema#\*"/);
    // customers fires events only: its one function publishes its schema and writes nothing else.
    const customersWrites = customersStatements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(customersWrites).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: RESULTS_TABLE_ARN,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['schema#customers'] } },
      },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: RESULTS_TABLE_ARN, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['owner#customers'] } } },
    ]);
  });

  it('grants PartiQLInsert and PartiQLUpdate (batched claims and results) only to a function that serves RPCs, not to a listener\'s', () => {
    const { template } = serviceStack({ separateFunctions: [{ listener: 'createUserForCustomer' }] });
    const policyOf = (functionId: RegExp) => {
      const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => functionId.test(id));
      expect(roles).toHaveLength(1);
      return statementsOf(
        Template.fromJSON({ Resources: template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roles[0] }] } }) }),
      );
    };
    const listener = policyOf(/^AuthListenerWorkercreateUserForCustomer/);
    const rpc = policyOf(/^AuthWorker/);
    expect(rpc).toContainEqual(BATCHED_CLAIMS);
    expect(listener.flatMap(actions)).not.toContain('dynamodb:PartiQLInsert');
    expect(listener.flatMap(actions)).not.toContain('dynamodb:PartiQLUpdate');
    // The listener writes nothing to the results table (no claims, no results, no task records)...
    expect(listener.flatMap(actions).filter((a) => RESULT_WRITES.includes(a))).toEqual([]);
    // ...while the RPC worker writes results and claims.
    expect(rpc).toContainEqual({ Effect: 'Allow', Action: RESULT_WRITES, Resource: RESULTS_TABLE_ARN, Condition: CALL_RESULT_KEYS_ONLY });
  });

  it('grants result writes to a container worker only if the service serves RPCs or runs tasks, PartiQLInsert only for RPCs', () => {
    const stack = new Stack(new App(), 'Customers', { env: ENV });
    const customers = new LightbusService(stack, 'Customers', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: CUSTOMERS });
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    customers.grantRunWorker(role);
    const statements = statementsOf(Template.fromStack(stack));
    // customers fires events only: its container publishes its schema (schema#customers) and writes nothing else.
    // (and the owner record of customers: PutItem only), for its Lambda worker and its container alike.
    const writes = statements.filter((s) => actions(s).some((a) => RESULT_WRITES.includes(a)));
    const schemaOnly = expect.objectContaining({ Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['schema#customers'] } } });
    const ownerOnly = expect.objectContaining({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['owner#customers'] } } });
    // ...and, as `lightbus run` reports its worker state, its own service's worker items and its own entries of the worker index.
    const workerItems = expect.objectContaining({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['worker#customers#*'] } } });
    const workerIndex = expect.objectContaining({
      Action: 'dynamodb:UpdateItem',
      Condition: expect.objectContaining({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['workers#index'] },
        'ForAllValues:StringLike': { 'dynamodb:Attributes': ['pk', 'customers#*'] },
      }),
    });
    expect(writes).toHaveLength(6);
    expect(writes).toEqual(expect.arrayContaining([schemaOnly, ownerOnly, workerItems, workerIndex]));
    expect(writes.filter((w) => JSON.stringify(w).includes('owner#customers'))).toHaveLength(2);
    expect(statements.flatMap(actions)).not.toContain('dynamodb:PartiQLInsert');
    expect(statements.flatMap(actions)).not.toContain('dynamodb:PartiQLUpdate');
  });

  it('lets a worker fire only the APIs it registers', () => {
    const firing = authStatements.filter((s) => actions(s).includes('events:PutEvents'));
    expect(firing).toHaveLength(1);
    expect(firing[0]!.Condition).toEqual({ StringEquals: { 'events:source': ['lightbus.auth'] } });
  });

  it('gives a granted caller exactly the call permissions and the environment to find the bus', () => {
    const role = granted.role!.node.defaultChild as { logicalId?: string };
    expect(role).toBeDefined();
    const callerStatements = statementsOf(callerTemplate);
    expect(callerStatements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: rpcArn('auth') }),
        // Callers read their own calls' results (their scope, derived from the function) and schemas only.
        scopedReads(grantedScope),
      ]),
    );
    expect(grantedScope).toMatch(/^Granted-[0-9a-f]{8}$/);
    // Never another caller's results, task records, or unconditioned reads.
    const reads = callerStatements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(reads).toEqual([scopedReads(grantedScope)]);
    expect(callerStatements.some((s) => actions(s).some((a) => a.startsWith('dynamodb:') && !a.includes('Get')))).toBe(false);
    callerTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { LIGHTBUS_BUS_NAME: 'shop', LIGHTBUS_EVENT_BUS_NAME: 'shop', LIGHTBUS_RESULTS_TABLE: 'shop-results', LIGHTBUS_CALLER_SCOPE: grantedScope },
      },
    });
  });

  it('gives an ungranted caller nothing', () => {
    const ungrantedRole = callerTemplate.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: callerStack.getLogicalId(ungranted.role!.node.defaultChild as never) }] },
    });
    expect(Object.keys(ungrantedRole)).toHaveLength(0);
    const fn = Object.values(callerTemplate.findResources('AWS::Lambda::Function')).find(
      (f) => !(f as { Properties: { Environment?: unknown } }).Properties.Environment,
    );
    expect(fn).toBeDefined();
  });

  it('grantCall on a service grants its APIs and refuses one it does not serve', () => {
    const otherApp = new App();
    const authStack2 = new Stack(otherApp, 'Auth', { env: ENV });
    const otherAuth = new LightbusService(authStack2, 'Auth', { bus: LightbusBus.fromBusName(authStack2, 'Bus', 'shop'), busModule: AUTH });
    const stack = new Stack(otherApp, 'Other', { env: ENV });
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => otherAuth.grantCall(fn, 'billing')).toThrow(/does not serve API "billing"; it serves "auth"/);
    otherAuth.grantCall(fn);
    otherAuth.grantFire(fn);
    const statements = statementsOf(Template.fromStack(stack));
    expect(statements).toContainEqual(expect.objectContaining({ Resource: rpcArn('auth') }));
    expect(statements).toContainEqual(expect.objectContaining({ Condition: { StringEquals: { 'events:source': ['lightbus.auth'] } } }));
  });
});

describe('LightbusService: separate functions', () => {
  const { template, service } = serviceStack({
    separateFunctions: [{ listener: 'createUserForCustomer', memorySize: 256, maxConcurrency: 5, timeout: Duration.seconds(20) }],
  });

  it('gives a listener its own function with its own settings, sharing the one bundle', () => {
    expect([...service.functions.keys()]).toEqual(['Worker', 'ListenerWorker-createUserForCustomer']);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 256, Timeout: 20 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 5 } });
    const keys = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
    );
    expect(new Set(keys).size).toBe(1);
  });
});

describe('LightbusService: props validation', () => {
  it.each([
    [{ separateFunctions: [{ api: 'auth', listener: 'createUserForCustomer' }] }, /separateFunctions\[0\]: give exactly one of api or listener; got api "auth" and listener/],
    [{ separateFunctions: [{}] }, /give exactly one of api or listener; got neither/],
    [{ separateFunctions: [{ listener: 'nope' }] }, /listener "nope" is not declared by this bus module; its listeners are "createUserForCustomer"/],
    [{ separateFunctions: [{ api: 'billing' }] }, /API "billing" is not registered by this bus module; it registers "auth"/],
    [{ separateFunctions: [{ api: 'auth' }, { api: 'auth' }] }, /api auth already has a function of its own/],
    [{ worker: { memorySize: 64 } }, /worker.memorySize must be an integer from 128 to 10240; got 64/],
    [{ worker: { batchSize: 11 } }, /worker.batchSize must be an integer from 1 to 10; got 11/],
    [{ worker: { maxConcurrency: 1 } }, /worker.maxConcurrency must be an integer from 2 to 1000; got 1/],
    [{ worker: { timeout: Duration.seconds(60) } }, /Worker: timeout is 60 s, but queue shop-\S+ has a visibility timeout of 30 s; a function may not run longer/],
    [{ busModule: 'no/such/bus.ts' }, /the bus module .*no\/such\/bus.ts does not exist/],
    [{ busModule: join(__dirname, 'fixtures', 'no-bus-export.ts') }, /must export `bus`.*its exports are: notABus/],
    [{ busModule: join(__dirname, 'fixtures', 'explicit-bus-name.ts') }, /uses bus name "hard-coded", but this service is on the bus "shop"/],
    [{ busModule: join(__dirname, 'fixtures', 'own-caller-scope.ts') }, /sets callerScope "elsewhere", but a LightbusService's workers call as their service's scope "auth"/],
  ] as [Partial<LightbusServiceProps>, RegExp][])('rejects %j', (props, message) => {
    expect(() => serviceStack(props)).toThrow(message);
  });
});

describe('LightbusService.grantRunWorker: a container running `lightbus run` against the construct\'s resources', () => {
  const app = new App();
  const stack = new Stack(app, 'Auth', { env: ENV });
  const auth = new LightbusService(stack, 'Auth', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: AUTH });
  const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  auth.grantRunWorker(taskRole);
  const code = lambda.Code.fromInline('exports.handler = async () => null');
  const otherRunner = new lambda.Function(stack, 'OtherRunner', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
  auth.grantRunWorker(otherRunner);
  const template = Template.fromStack(stack);
  // Only the task role's policy.
  const roleStatements = statementsOf(
    Template.fromJSON({
      Resources: template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(taskRole.node.defaultChild as never) }] } }),
    }),
  );
  const queueRef = (id: RegExp) => {
    const found = Object.keys(template.findResources('AWS::SQS::Queue')).filter((logicalId) => id.test(logicalId));
    expect(found).toHaveLength(1);
    return { 'Fn::GetAtt': [found[0]!, 'Arn'] };
  };
  const consume = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

  it('consumes every queue of the service and dead-letters into their DLQs', () => {
    for (const queue of [/RpcQueueauth(?!DLQ)/, /ListenerQueuecreateUserForCustomer(?!DLQ)/]) {
      const statement = roleStatements.find((s) => JSON.stringify(s.Resource) === JSON.stringify(queueRef(queue)) && actions(s).includes('sqs:ReceiveMessage'));
      expect(statement).toBeDefined();
      expect([...actions(statement!)].sort()).toEqual([...consume].sort());
    }
    for (const dlq of [/RpcQueueauthDLQ/, /ListenerQueuecreateUserForCustomerDLQ/]) {
      expect(roleStatements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']), Resource: queueRef(dlq) }));
    }
  });

  it('writes results, publishes only its schemas (PutItem, no DeleteItem), calls and fires as its Lambda worker may', () => {
    expect(roleStatements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: RESULT_WRITES, Resource: RESULTS_TABLE_ARN, Condition: CALL_RESULT_KEYS_ONLY },
        BATCHED_CLAIMS,
        taskRuns('auth'),
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: RESULTS_TABLE_ARN,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['schema#auth'] } },
        },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: RESULTS_TABLE_ARN, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['owner#auth'] } } },
        // Its service's scope: the container's client derives it from LIGHTBUS_SERVICE_NAME.
        scopedReads('auth'),
        expect.objectContaining({ Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }) }),
        expect.objectContaining({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': ['lightbus.auth'] } } }),
      ]),
    );
    expect(roleStatements.some((s) => actions(s).includes('dynamodb:DeleteItem'))).toBe(false);
  });

  it('gives a grantee that takes environment variables the worker environment', () => {
    const runner = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => (f as { Properties: { Code: { ZipFile?: string } } }).Properties.Code.ZipFile !== undefined,
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(runner.Properties.Environment.Variables).toEqual({
      LIGHTBUS_BUS_NAME: 'shop',
      LIGHTBUS_EVENT_BUS_NAME: 'shop',
      LIGHTBUS_PAYLOAD_BUCKET: 'shop-payloads-111111111111-eu-west-1',
      LIGHTBUS_RESULTS_TABLE: 'shop-results',
      LIGHTBUS_SERVICE_NAME: 'auth',
      LIGHTBUS_QUEUE_URL_PREFIX: expect.anything(),
    });
    expect(Object.keys(auth.workerEnvironment).sort()).toEqual(Object.keys(runner.Properties.Environment.Variables).sort());
  });
});

describe('grantCall: caller scopes (a caller reads only the results of its own calls)', () => {
  const code = lambda.Code.fromInline('exports.handler = async () => null');
  const setup = () => {
    const stack = new Stack(new App(), 'Caller', { env: ENV });
    return { stack, bus: LightbusBus.fromBusName(stack, 'Bus', 'shop') };
  };
  const readsOf = (stack: Stack) => statementsOf(Template.fromStack(stack)).filter((s) => actions(s).includes('dynamodb:GetItem'));

  it('scopes reads to the given callerScope and sets it on the function', () => {
    const { stack, bus } = setup();
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    bus.grantCall(fn, 'auth', { callerScope: 'frontend' });
    bus.grantCall(fn, 'billing'); // a later grant without a scope keeps the function's
    expect(readsOf(stack).map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['frontend.*', 'schema#*'] } },
    ]);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ LIGHTBUS_CALLER_SCOPE: 'frontend' }) } });
  });

  it('requires a scope for a grantee whose environment cannot be set, and uses it', () => {
    const { stack, bus } = setup();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => bus.grantCall(role, 'auth')).toThrow(/takes no environment variables, so its caller scope cannot be set.*callerScope/);
    bus.grantCall(role, 'auth', { callerScope: 'batch-jobs' });
    expect(readsOf(stack).map((s) => (s.Condition as Record<string, Record<string, string[]>>)['ForAllValues:StringLike']!['dynamodb:LeadingKeys'])).toEqual([
      ['batch-jobs.*', 'schema#*'],
    ]);
  });

  it('refuses a malformed scope, and a second scope for the same grantee, saying what was given', () => {
    const { stack, bus } = setup();
    const fn = new lambda.Function(stack, 'Fn', { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X });
    expect(() => bus.grantCall(fn, 'auth', { callerScope: 'a.b' })).toThrow(/callerScope: "a.b" is not a caller scope; expected 1 to 64 letters/);
    expect(() => bus.grantCall(fn, 'auth', { callerScope: '*' })).toThrow(ConfigurationError);
    bus.grantCall(fn, 'auth', { callerScope: 'one' });
    expect(() => bus.grantCall(fn, 'auth', { callerScope: 'two' })).toThrow(/already calls with caller scope "one"; got "two"/);
  });

  it('gives a service\'s own workers their service name as scope, without setting LIGHTBUS_CALLER_SCOPE (they derive it)', () => {
    const { template } = serviceStack();
    const reads = statementsOf(template).filter((s) => actions(s).includes('dynamodb:GetItem') && actions(s).includes('dynamodb:BatchGetItem'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(JSON.stringify(read.Condition)).toContain('"auth.*"');
    expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toContain('LIGHTBUS_CALLER_SCOPE');
  });
});
