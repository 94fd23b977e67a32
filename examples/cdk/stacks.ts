import { join } from 'node:path';
import { CfnOutput, RemovalPolicy, Stack, Validations, type App, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LightbusBus, LightbusService } from '../../cdk/index';
import { USERS_TABLE_KEY, usersTableName } from '../auth/users-table';

export interface ExampleAppOptions {
  /** Every resource name derives from it; tests use a unique one per run. */
  readonly busName: string;
  readonly env?: StackProps['env'];
}

export interface ExampleStacks {
  readonly bus: Stack;
  readonly auth: Stack;
  readonly customers: Stack;
  readonly caller: Stack;
  readonly authService: LightbusService;
  /** auth's own users table: the service's data, not the bus's. */
  readonly usersTable: dynamodb.Table;
  readonly customersService: LightbusService;
  readonly callerFunction: NodejsFunction;
}

/**
 * The founding example on Lambda: a stack for the shared bus, one per service, and one with a
 * plain function that calls auth.checkPassword. The service stacks import the bus by name, so
 * they need no cross-stack exports and could live in other apps.
 */
export function buildExampleApp(app: App, options: ExampleAppOptions): ExampleStacks {
  const { busName } = options;
  const stackProps = options.env ? { env: options.env } : {};
  const prefix = `Lightbus-${busName}`;

  const busStack = new Stack(app, `${prefix}-Bus`, { ...stackProps, description: `lightbus example: the bus ${busName}` });
  // The example's results table goes with its stack; a production bus keeps it (the default).
  // archive: false only because the emulator's CloudFormation (MiniStack 1.4.21 and 1.5.33) has no
  // AWS::Events::Archive and fails the stack; on AWS keep the default (the bus's history, for replays).
  new LightbusBus(busStack, 'Bus', { busName, removalPolicy: RemovalPolicy.DESTROY, archive: false });

  const auth = new Stack(app, `${prefix}-Auth`, { ...stackProps, description: 'lightbus example: the auth service' });
  auth.addStackDependency(busStack);
  const authService = new LightbusService(auth, 'Auth', {
    bus: LightbusBus.fromBusName(auth, 'Bus', busName),
    busModule: join(__dirname, '..', 'auth', 'bus.ts'),
    // The listener gets a function of its own: a small one, since it only calls auth.createUser.
    separateFunctions: [{ listener: 'createUserForCustomer', memorySize: 256, maxConcurrency: 5 }],
  });
  for (const [id, fn] of authService.functions) new CfnOutput(auth, `${id}FunctionName`, { value: fn.functionName });
  // The users are auth's own data, in a table of its stack (plain CDK, beside the construct): every
  // instance of the worker function sees the same users. Only the function that serves auth's
  // procedures and runs its task reads and writes it; the listener-only function just calls
  // auth.createUser over the bus.
  const usersTable = new dynamodb.Table(auth, 'Users', {
    tableName: usersTableName(busName),
    partitionKey: { name: USERS_TABLE_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const authWorker = authService.workerFunction;
  if (authWorker === undefined) throw new Error('the auth service has no default worker function to serve its procedures');
  usersTable.grantReadWriteData(authWorker);

  const customers = new Stack(app, `${prefix}-Customers`, { ...stackProps, description: 'lightbus example: the customers service' });
  customers.addStackDependency(busStack);
  const customersService = new LightbusService(customers, 'Customers', {
    bus: LightbusBus.fromBusName(customers, 'Bus', busName),
    busModule: join(__dirname, '..', 'customers', 'bus.ts'),
  });
  for (const [id, fn] of customersService.functions) new CfnOutput(customers, `${id}FunctionName`, { value: fn.functionName });

  const caller = new Stack(app, `${prefix}-Caller`, { ...stackProps, description: 'lightbus example: a Lambda that calls auth' });
  caller.addStackDependency(busStack);
  // Its own log group and a role that may write only to it: the managed
  // AWSLambdaBasicExecutionRole would allow writing to every log group in the account.
  const callerLogs = new logs.LogGroup(caller, 'CheckPasswordLogs', { retention: logs.RetentionDays.ONE_MONTH });
  const callerRole = new iam.Role(caller, 'CheckPasswordRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  callerLogs.grantWrite(callerRole);
  const callerFunction = new NodejsFunction(caller, 'CheckPassword', {
    entry: join(__dirname, 'caller', 'handler.ts'),
    runtime: lambda.Runtime.NODEJS_24_X,
    role: callerRole,
    logGroup: callerLogs,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    bundling: {
      // The SDK goes into the bundle: it pins the version we test, and the emulator has none.
      bundleAwsSDK: true,
      minify: true,
      format: OutputFormat.CJS,
      target: 'node24',
    },
  });
  LightbusBus.fromBusName(caller, 'Bus', busName).grantCall(callerFunction, 'auth');
  new CfnOutput(caller, 'CheckPasswordFunctionName', { value: callerFunction.functionName });

  suppressAcceptedFindings([auth, customers, caller]);
  return { bus: busStack, auth, customers, caller, authService, usersTable, customersService, callerFunction };
}

/**
 * cdk-nag findings accepted on purpose, each with its reason. None today: every role is scoped
 * (bus permissions inline and resource-scoped, each function writing only its own log group).
 */
export const ACCEPTED_NAG_FINDINGS: readonly { readonly id: string; readonly reason: string }[] = [];

function suppressAcceptedFindings(stacks: readonly Stack[]): void {
  for (const stack of stacks) for (const finding of ACCEPTED_NAG_FINDINGS) Validations.of(stack).acknowledge(finding);
}
