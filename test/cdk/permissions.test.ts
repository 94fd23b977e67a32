/**
 * Least privilege of the worker roles, on synthesized templates of one- and multi-service apps:
 * each function logs to its own log group only, only RPC and task workers write to the results
 * table, and workers may call only APIs that have procedures and are served (in the app, or listed
 * in `calls`). cdk-nag AwsSolutions passes with no acknowledgement.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Stage, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LightbusBus, LightbusService, type LightbusServiceProps } from '../../cdk/index';
import { apisServedInStage, markServedApis } from '../../cdk/call-rights';
import { buildExampleApp } from '../../examples/cdk/stacks';

jest.setTimeout(60_000);

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const AUTH = join(EXAMPLES, 'auth', 'bus.ts');
const CUSTOMERS = join(EXAMPLES, 'customers', 'bus.ts');
const SHIPPING = join(__dirname, 'fixtures', 'shipping-bus.ts');
const TASKS = join(__dirname, 'fixtures', 'tasks-bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
type Resources = Record<string, { Properties: Record<string, unknown> }>;

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const rpcArn = (api: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:eu-west-1:111111111111:shop-rpc-${api}`]] });
const RESULT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate'];

/** The statements of the policies attached to the role with logical id `roleId`. */
function statementsOfRole(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }) as Resources;
  return Object.values(policies).flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The logical id of the execution role of the service's function `functionId`. */
function roleIdOf(stack: Stack, service: LightbusService, functionId: string): string {
  return stack.getLogicalId(service.functions.get(functionId)!.role!.node.defaultChild as never);
}

/** Request queues a role may send to (by name: the DLQs are referenced by GetAtt). */
function callableQueues(statements: Statement[]): unknown[] {
  return statements.filter((s) => actions(s).includes('sqs:SendMessage') && !JSON.stringify(s.Resource).includes('Fn::GetAtt')).map((s) => s.Resource);
}

interface ServiceSpec {
  readonly id: string;
  readonly busModule: string;
  readonly props?: Partial<LightbusServiceProps>;
}

/** An app with one stack per service, all on the bus "shop" (imported by name, as in the example). */
function appOf(specs: readonly ServiceSpec[], app = new App()) {
  const built = specs.map(({ id, busModule, props }) => {
    const stack = new Stack(app, id, { env: ENV });
    const service = new LightbusService(stack, id, { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule, ...props });
    return { stack, service };
  });
  return { app, built };
}

describe('each worker function logs to a log group of its own, and nowhere else', () => {
  const { built } = appOf([{ id: 'Auth', busModule: AUTH, props: { separateFunctions: [{ listener: 'createUserForCustomer' }] } }]);
  const { stack, service } = built[0]!;
  const template = Template.fromStack(stack);

  it('creates one log group per function, with a retention, passed as the function\'s log group', () => {
    expect([...service.logGroups.keys()]).toEqual([...service.functions.keys()]);
    template.resourceCountIs('AWS::Logs::LogGroup', service.functions.size);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    for (const [id, fn] of service.functions) {
      const logGroupId = stack.getLogicalId(service.logGroups.get(id)!.node.defaultChild as never);
      const functionId = stack.getLogicalId(fn.node.defaultChild as never);
      expect(template.toJSON().Resources[functionId].Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    }
  });

  it('gives each role CreateLogStream and PutLogEvents on its own log group only: no CreateLogGroup, no managed policy', () => {
    for (const [id] of service.functions) {
      const statements = statementsOfRole(template, roleIdOf(stack, service, id));
      const logging = statements.filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      const logGroupId = stack.getLogicalId(service.logGroups.get(id)!.node.defaultChild as never);
      expect(logging).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ]);
    }
    const roles = Object.values(template.findResources('AWS::IAM::Role') as Resources);
    expect(roles).toHaveLength(service.functions.size);
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/AWSLambdaBasicExecutionRole|logs:CreateLogGroup/);
  });

  it('takes the retention from logRetention', () => {
    const { built: other } = appOf([{ id: 'Auth', busModule: AUTH, props: { logRetention: logs.RetentionDays.ONE_WEEK } }]);
    Template.fromStack(other[0]!.stack).allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });
});

describe('only RPC and task workers write to the results table', () => {
  it('gives a listener-only function no PutItem, UpdateItem, PartiQLInsert nor PartiQLUpdate; the RPC worker keeps them', () => {
    const { built } = appOf([{ id: 'Auth', busModule: AUTH, props: { separateFunctions: [{ listener: 'createUserForCustomer' }] } }]);
    const { stack, service } = built[0]!;
    const template = Template.fromStack(stack);
    const listener = statementsOfRole(template, roleIdOf(stack, service, 'ListenerWorker-createUserForCustomer'));
    const rpc = statementsOfRole(template, roleIdOf(stack, service, 'Worker'));
    expect(listener.flatMap(actions).filter((a) => a.startsWith('dynamodb:') && RESULT_WRITE_ACTIONS.includes(a))).toEqual([]);
    // The listener calls auth.createUser: it reads results (of its own calls) and nothing else of the table.
    expect(listener.flatMap(actions).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    // ...of its own calls only: its service's caller scope, and the published schemas.
    expect(listener.filter((s) => actions(s).includes('dynamodb:GetItem')).map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['auth.*', 'schema#*'] } },
    ]);
    expect(rpc.flatMap(actions)).toEqual(expect.arrayContaining(RESULT_WRITE_ACTIONS));
    // The RPC worker writes call-result keys only (no "#": never a task record, schema or dedupe record).
    expect(rpc.filter((s) => actions(s).includes('dynamodb:PutItem') && actions(s).includes('dynamodb:UpdateItem')).map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': ['*#*'] } },
    ]);
  });

  it('lets a listener-only service with nothing to call touch the table not at all', () => {
    const { built } = appOf([{ id: 'Shipping', busModule: SHIPPING }]);
    const { stack, service } = built[0]!;
    const statements = statementsOfRole(Template.fromStack(stack), roleIdOf(stack, service, 'Worker'));
    expect(statements.flatMap(actions).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('lets the function that runs scheduled tasks write its own service\'s task run records only, without batched claims', () => {
    const { built } = appOf([{ id: 'Reports', busModule: TASKS }]);
    const { stack, service } = built[0]!;
    const statements = statementsOfRole(Template.fromStack(stack), roleIdOf(stack, service, 'Worker'));
    const actionsOfWorker = statements.flatMap(actions);
    expect(actionsOfWorker).toContain('dynamodb:UpdateItem');
    expect(actionsOfWorker).not.toContain('dynamodb:PartiQLInsert');
    expect(actionsOfWorker).not.toContain('dynamodb:PartiQLUpdate');
    // A task-only worker serves no RPCs: no call-result writes, and every table write is on task#<its service>#*.
    const tableWrites = statements.filter((s) => actions(s).some((a) => RESULT_WRITE_ACTIONS.includes(a)));
    expect(tableWrites).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ["task#reports#*"] } },
      }),
    ]);
  });
});

describe('worker state (workerState): off by default on Lambda; each service writes only its own items', () => {
  const WORKER_STATE_STATEMENTS = (service: string) => [
    expect.objectContaining({ Action: 'dynamodb:PutItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`worker#${service}#*`] } } }),
    expect.objectContaining({ Action: 'dynamodb:GetItem', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['workers#index'] } } }),
    // Its own entries of the shared index only: another service's `<other>#<id>` is neither set nor removed by it.
    expect.objectContaining({
      Action: 'dynamodb:UpdateItem',
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['workers#index'] },
        'ForAllValues:StringLike': { 'dynamodb:Attributes': ['pk', `${service}#*`] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
      },
    }),
    expect.objectContaining({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': ['lightbus.lightbus.state'] } } }),
  ];
  const touchesWorkerState = (s: Statement) => JSON.stringify(s.Condition ?? {}).match(/worker#|workers#index|lightbus\.lightbus\.state/) !== null;

  it('without it: no LIGHTBUS_WORKER_STATE and no grant for it', () => {
    const { built } = appOf([{ id: 'Auth', busModule: AUTH }]);
    const { stack, service } = built[0]!;
    const template = Template.fromStack(stack);
    expect(statementsOfRole(template, roleIdOf(stack, service, 'Worker')).filter(touchesWorkerState)).toEqual([]);
    const fn = template.findResources('AWS::Lambda::Function') as Resources;
    for (const f of Object.values(fn)) expect(JSON.stringify(f.Properties.Environment ?? {})).not.toContain('LIGHTBUS_WORKER_STATE');
  });

  it('with it: each function says what it serves, and may write its own service\'s worker items, the index entry and lightbus.state events only', () => {
    const { built } = appOf([
      { id: 'Auth', busModule: AUTH, props: { workerState: true, separateFunctions: [{ listener: 'createUserForCustomer' }] } },
    ]);
    const { stack, service } = built[0]!;
    const template = Template.fromStack(stack);
    for (const functionId of ['Worker', 'ListenerWorker-createUserForCustomer']) {
      expect(statementsOfRole(template, roleIdOf(stack, service, functionId)).filter(touchesWorkerState)).toEqual(WORKER_STATE_STATEMENTS('auth'));
    }
    const environmentOf = (functionId: string) =>
      (template.toJSON().Resources[stack.getLogicalId(service.functions.get(functionId)!.node.defaultChild as never)].Properties.Environment.Variables as Record<string, string>)
        .LIGHTBUS_WORKER_STATE;
    expect(environmentOf('Worker')).toBe('apis=auth;listeners=');
    expect(environmentOf('ListenerWorker-createUserForCustomer')).toBe('apis=;listeners=createUserForCustomer');
  });

  it('a container worker (grantRunWorker), which reports by default, gets the same grant', () => {
    const { built } = appOf([{ id: 'Shipping', busModule: SHIPPING }]);
    const { stack, service } = built[0]!;
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    service.grantRunWorker(role);
    const statements = statementsOfRole(Template.fromStack(stack), stack.getLogicalId(role.node.defaultChild as never));
    expect(statements.filter(touchesWorkerState)).toEqual(WORKER_STATE_STATEMENTS(service.topology.serviceName!));
  });
});

describe('call rights: only APIs with procedures that some service serves', () => {
  const { built } = appOf([
    { id: 'Auth', busModule: AUTH },
    { id: 'Customers', busModule: CUSTOMERS },
    { id: 'Shipping', busModule: SHIPPING },
  ]);
  const [auth, customers, shipping] = built as [(typeof built)[0], (typeof built)[0], (typeof built)[0]];
  const callsOf = ({ stack, service }: (typeof built)[0]) => callableQueues(statementsOfRole(Template.fromStack(stack), roleIdOf(stack, service, 'Worker')));

  it('grants the APIs the module defines with procedures that a service in the app serves', () => {
    // shipping defines auth (served by Auth), customers (events only) and billing (served nowhere).
    expect(callsOf(shipping)).toEqual([rpcArn('auth')]);
  });

  it('grants no call to an API of events only, even one the module listens to', () => {
    // auth lists customers in `apis` to listen to its events; customers has no procedures, no queue.
    expect(callsOf(auth)).toEqual([rpcArn('auth')]);
    expect(callsOf(customers)).toEqual([]);
    expect(JSON.stringify(Template.fromStack(auth.stack).toJSON())).not.toMatch(/rpc-customers/);
  });

  it('grants no call to an API that no service in the app serves, and warns about it', () => {
    expect(JSON.stringify(Template.fromStack(shipping.stack).toJSON())).not.toMatch(/rpc-billing/);
    Annotations.fromStack(shipping.stack).hasWarning('/Shipping/Shipping', Match.stringLikeRegexp('defines "billing" with procedures, but no LightbusService'));
  });

  it('grants nothing to call when the serving service is not in the app', () => {
    const { built: alone } = appOf([{ id: 'Shipping', busModule: SHIPPING }]);
    expect(callsOf(alone[0]!)).toEqual([]);
  });

  it('only counts services on the same bus, in the same stage', () => {
    const app = new App();
    markServedApis(new Construct(app, 'OnShop'), 'shop', ['auth']);
    markServedApis(new Construct(app, 'OnOther'), 'other', ['billing']);
    markServedApis(new Construct(new Stage(app, 'Nested'), 'InNestedStage'), 'shop', ['orders']);
    expect([...apisServedInStage(new Construct(app, 'Asking'), 'shop')]).toEqual(['auth']);
  });

  it('grants an API listed in calls (served outside the app), and no longer warns about it', () => {
    const { built: withCalls } = appOf([{ id: 'Shipping', busModule: SHIPPING, props: { calls: ['billing', 'support.case'] } }]);
    expect(callsOf(withCalls[0]!)).toEqual([rpcArn('billing'), rpcArn('support-case')]);
    Annotations.fromStack(withCalls[0]!.stack).hasNoWarning('*', Match.stringLikeRegexp('"billing"'));
  });

  it('gives a container worker (grantRunWorker) the same call rights as the Lambda workers', () => {
    const app = new App();
    const { built: pair } = appOf([{ id: 'Auth', busModule: AUTH }, { id: 'Shipping', busModule: SHIPPING }], app);
    const { stack, service } = pair[1]!;
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    service.grantRunWorker(role);
    expect(callableQueues(statementsOfRole(Template.fromStack(stack), stack.getLogicalId(role.node.defaultChild as never)))).toEqual([rpcArn('auth')]);
  });

  it.each([
    [['customers'], /calls\[0\]: API "customers" declares no procedures in this bus module \(events only\).*defines without procedures are "customers"/],
    [['billing', 'Not An Api'], /calls\[1\]: invalid API name "Not An Api"; expected a dotted name/],
  ])('refuses calls %j, saying what is allowed', (calls, message) => {
    expect(() => appOf([{ id: 'Shipping', busModule: SHIPPING, props: { calls } }])).toThrow(message);
  });
});

describe('the example app (three stacks on one bus)', () => {
  const stacks = buildExampleApp(new App(), { busName: 'shop' });

  it('lets no auth role send to a customers request queue (none exists)', () => {
    for (const stack of [stacks.auth, stacks.customers, stacks.caller]) {
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/rpc-customers/);
    }
    const authTemplate = Template.fromStack(stacks.auth);
    for (const id of stacks.authService.functions.keys()) {
      expect(callableQueues(statementsOfRole(authTemplate, roleIdOf(stacks.auth, stacks.authService, id)))).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':shop-rpc-auth']] },
      ]);
    }
  });
});

describe('cdk-nag AwsSolutions with no acknowledgement at all', () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing in a multi-service app with a separate function, a listener-only service and tasks', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lightbus-nag-permissions-'));
    outdirs.push(outdir);
    const app = new App({ outdir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const bus = new Stack(app, 'Bus', { env: ENV });
    new LightbusBus(bus, 'Bus', { busName: 'shop' });
    appOf(
      [
        { id: 'Auth', busModule: AUTH, props: { separateFunctions: [{ listener: 'createUserForCustomer' }] } },
        { id: 'Customers', busModule: CUSTOMERS },
        { id: 'Shipping', busModule: SHIPPING, props: { calls: ['billing'] } },
        { id: 'Reports', busModule: TASKS },
      ],
      app,
    );
    const assembly = app.synth();
    // A finding, acknowledged or not, would be a violation of a plugin report (nag.test.ts shows the pack does report).
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: { violations?: unknown[] }[] };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });
});

describe('payload bucket grants: per API, put what a role sends, get what it receives', () => {
  const UUID_KEY = '????????-????-????-????-????????????';
  /** `s3:<action> <key>` for every S3 grant of a role (keys relative to the bus's payload bucket). */
  function payloadGrants(statements: Statement[]): string[] {
    return statements
      .filter((s) => actions(s).some((a) => a.startsWith('s3:')))
      .flatMap((s) => {
        const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        return resources.flatMap((r) => actions(s).map((a) => `${a} ${JSON.stringify(r).replace(/^.*shop-payloads-111111111111-eu-west-1\//, '').replace(/"\]\]\}$/, '')}`));
      })
      .sort();
  }

  const { built } = appOf([{ id: 'Auth', busModule: AUTH, props: { separateFunctions: [{ listener: 'createUserForCustomer' }] } }]);
  const { stack, service } = built[0]!;
  const template = Template.fromStack(stack);

  it('lets the RPC worker get its calls\' parameters and put their results and its events, nothing else', () => {
    expect(payloadGrants(statementsOfRole(template, roleIdOf(stack, service, 'Worker')))).toEqual([
      `s3:GetObject auth/call/${UUID_KEY}`,
      `s3:GetObject auth/result/${UUID_KEY}`, // as a caller of auth (its own module calls it)
      `s3:PutObject auth/call/${UUID_KEY}`,
      `s3:PutObject auth/event/${UUID_KEY}`,
      `s3:PutObject auth/result/${UUID_KEY}`,
    ]);
  });

  it('lets a listener function get the events it listens to and its own calls\' payloads; no call parameters of others, no results to write', () => {
    expect(payloadGrants(statementsOfRole(template, roleIdOf(stack, service, 'ListenerWorker-createUserForCustomer')))).toEqual([
      `s3:GetObject auth/result/${UUID_KEY}`,
      `s3:GetObject customers/event/${UUID_KEY}`,
      `s3:PutObject auth/call/${UUID_KEY}`,
      `s3:PutObject auth/event/${UUID_KEY}`,
    ]);
  });

  it('names exact keys of one API and kind: no bucket-wide or * object grant anywhere', () => {
    for (const grant of [service.functions.keys()].flatMap((ids) => [...ids]).flatMap((id) => payloadGrants(statementsOfRole(template, roleIdOf(stack, service, id))))) {
      expect(grant).toMatch(/^s3:(Get|Put)Object [a-z.]+\/(call|result|event)\/\?{8}-\?{4}-\?{4}-\?{4}-\?{12}$/);
    }
  });

  it('gives every worker the bucket\'s name in its environment', () => {
    for (const fn of service.functions.values()) {
      const id = stack.getLogicalId(fn.node.defaultChild as never);
      const env = template.toJSON().Resources[id].Properties.Environment.Variables;
      expect(env.LIGHTBUS_PAYLOAD_BUCKET).toBe('shop-payloads-111111111111-eu-west-1');
    }
  });
});

describe('the payload bucket of a LightbusBus', () => {
  function busTemplate(props: Partial<ConstructorParameters<typeof LightbusBus>[2]> = {}) {
    const stack = new Stack(new App(), 'Bus', { env: ENV });
    new LightbusBus(stack, 'Bus', { busName: 'shop', ...props });
    return Template.fromStack(stack);
  }

  it('is named by convention, encrypted, private, TLS only, logged, and expires payloads after a day', () => {
    const template = busTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'shop-payloads-111111111111-eu-west-1',
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ Id: 'expire-payloads', Status: 'Enabled', ExpirationInDays: 1 }] },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'payloads/' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('takes the expiry from payloadExpiration, in whole days', () => {
    busTemplate({ payloadExpiration: Duration.days(3) }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'expire-payloads', Status: 'Enabled', ExpirationInDays: 3 }] },
    });
    expect(() => busTemplate({ payloadExpiration: Duration.hours(5) })).toThrow(/payloadExpiration must be a whole number of days, at least 1; got 5 hours/);
  });

  it('lets grantCall put the API\'s call parameters and get its results; grantFire put its events', () => {
    const stack = new Stack(new App(), 'Caller', { env: ENV });
    const bus = LightbusBus.fromBusName(stack, 'Bus', 'shop');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    bus.grantCall(role, 'auth', { callerScope: 'web' });
    bus.grantFire(role, 'customers');
    const template = Template.fromStack(stack);
    const statements = statementsOfRole(template, stack.getLogicalId(role.node.defaultChild as never));
    const s3 = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:'))).map((s) => `${actions(s).join()} ${JSON.stringify(s.Resource)}`);
    expect(s3).toEqual([
      expect.stringMatching(/^s3:PutObject .*shop-payloads-111111111111-eu-west-1\/auth\/call\/\?{8}-/),
      expect.stringMatching(/^s3:GetObject .*shop-payloads-111111111111-eu-west-1\/auth\/result\/\?{8}-/),
      expect.stringMatching(/^s3:PutObject .*shop-payloads-111111111111-eu-west-1\/customers\/event\/\?{8}-/),
    ]);
  });
});
