import { join } from 'node:path';
import { CfnOutput, RemovalPolicy, Stack, Validations, type App, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LightbusBus, LightbusService } from '../../cdk/index';

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

  const customers = new Stack(app, `${prefix}-Customers`, { ...stackProps, description: 'lightbus example: the customers service' });
  customers.addStackDependency(busStack);
  const customersService = new LightbusService(customers, 'Customers', {
    bus: LightbusBus.fromBusName(customers, 'Bus', busName),
    busModule: join(__dirname, '..', 'customers', 'bus.ts'),
  });

  const caller = new Stack(app, `${prefix}-Caller`, { ...stackProps, description: 'lightbus example: a Lambda that calls auth' });
  caller.addStackDependency(busStack);
  const callerFunction = new NodejsFunction(caller, 'CheckPassword', {
    entry: join(__dirname, 'caller', 'handler.ts'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    bundling: {
      // The SDK goes into the bundle: it pins the version we test, and the emulator has none.
      bundleAwsSDK: true,
      minify: true,
      format: OutputFormat.CJS,
      target: 'node20',
    },
  });
  LightbusBus.fromBusName(caller, 'Bus', busName).grantCall(callerFunction, 'auth');
  new CfnOutput(caller, 'CheckPasswordFunctionName', { value: callerFunction.functionName });

  suppressAcceptedFindings([auth, customers, caller]);
  return { bus: busStack, auth, customers, caller, authService, customersService, callerFunction };
}

/** cdk-nag findings accepted on purpose, each with its reason. */
export const ACCEPTED_NAG_FINDINGS: readonly { readonly id: string; readonly reason: string }[] = [
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'Lambda execution roles use AWSLambdaBasicExecutionRole, which only lets a function write its own CloudWatch logs; ' +
      'every bus permission is an inline, resource-scoped policy.',
  },
];

function suppressAcceptedFindings(stacks: readonly Stack[]): void {
  for (const stack of stacks) for (const finding of ACCEPTED_NAG_FINDINGS) Validations.of(stack).acknowledge(finding);
}
