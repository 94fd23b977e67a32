/** LightbusService's code: bundled through asset staging, on the runtime NodejsFunction would pick, source maps only on request. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as bundleModule from '../../cdk/bundle';
import { ConstructValidationError, LightbusBus, LightbusService, type LightbusServiceProps } from '../../cdk/index';
import { esbuildTargetOf, nodeOptionsWithSourceMaps } from '../../cdk/worker-runtime';

const AUTH = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

function serviceStack(props: Partial<LightbusServiceProps> = {}, context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const stack = new Stack(app, 'Auth', { env: ENV });
  const service = new LightbusService(stack, 'Auth', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: AUTH, ...props });
  return { app, stack, service, template: Template.fromStack(stack) };
}

function workerProperties(template: Template): { Runtime: string; Environment: { Variables: Record<string, unknown> } } {
  const [worker] = Object.values(template.findResources('AWS::Lambda::Function'));
  return (worker as { Properties: { Runtime: string; Environment: { Variables: Record<string, unknown> } } }).Properties;
}

afterEach(() => jest.restoreAllMocks());

describe('bundling through asset staging', () => {
  it('does not run esbuild for a stack the command did not select (aws:cdk:bundling-stacks)', () => {
    const bundleWorker = jest.spyOn(bundleModule, 'bundleWorker');
    const { service, template } = serviceStack({}, { 'aws:cdk:bundling-stacks': ['Other'] });
    expect(bundleWorker).not.toHaveBeenCalled();
    expect(service.bundle).toBeUndefined();
    // The topology still comes from the module: the resources are all there.
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('bundles a selected stack while staging its asset, once for all of its functions', () => {
    const bundleWorker = jest.spyOn(bundleModule, 'bundleWorker');
    const { service, app } = serviceStack(
      { separateFunctions: [{ listener: 'createUserForCustomer' }] },
      { 'aws:cdk:bundling-stacks': ['Auth'] },
    );
    expect(bundleWorker).toHaveBeenCalledWith(AUTH, expect.objectContaining({ target: 'node24', minify: true, sourceMap: false }));
    expect(service.bundle?.sizeBytes).toBeGreaterThan(100_000);
    const assembly = app.synth();
    const keys = Object.values(Template.fromStack(service.node.scope as Stack).findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
    );
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    // The staged asset is the bundle: asset.<hash>/index.js in the cloud assembly.
    expect(existsSync(join(assembly.directory, `asset.${keys[0]!.replace(/\.zip$/, '')}`, 'index.js'))).toBe(true);
  });
});

describe('runtime and bundle target', () => {
  it('defaults to the newest Node.js runtime this aws-cdk-lib knows (NodejsFunction\'s NODEJS_LATEST), the target following it', () => {
    const bundleWorker = jest.spyOn(bundleModule, 'bundleWorker');
    const { template } = serviceStack();
    expect(workerProperties(template).Runtime).toBe(lambda.Runtime.NODEJS_LATEST.name);
    expect(bundleWorker).toHaveBeenCalledWith(AUTH, expect.objectContaining({ target: lambda.Runtime.NODEJS_LATEST.name.replace(/^nodejs(\d+).*$/, 'node$1') }));
  });

  it('lets the runtime be pinned, and bundles for it', () => {
    const bundleWorker = jest.spyOn(bundleModule, 'bundleWorker');
    const { template } = serviceStack({ runtime: lambda.Runtime.NODEJS_22_X });
    expect(workerProperties(template).Runtime).toBe('nodejs22.x');
    expect(bundleWorker).toHaveBeenCalledWith(AUTH, expect.objectContaining({ target: 'node22' }));
  });

  it('refuses a runtime that is not Node.js, naming the construct and what was given', () => {
    expect(() => serviceStack({ runtime: lambda.Runtime.PYTHON_3_13 })).toThrow(
      /^Auth\/Auth: runtime must be a Node\.js runtime .*got "python3\.13"/,
    );
    expect(esbuildTargetOf(lambda.Runtime.NODEJS_20_X, 'S/Svc')).toBe('node20');
  });
});

describe('source maps: emitted and enabled together, or neither', () => {
  it('by default emits none and leaves NODE_OPTIONS alone (a user\'s own is kept)', () => {
    const plain = workerProperties(serviceStack().template).Environment.Variables;
    expect(plain.NODE_OPTIONS).toBeUndefined();
    const own = workerProperties(serviceStack({ environment: { NODE_OPTIONS: '--max-old-space-size=400' } }).template).Environment.Variables;
    expect(own.NODE_OPTIONS).toBe('--max-old-space-size=400');
  });

  it('with sourceMap, bundles index.js.map and adds --enable-source-maps to the user\'s NODE_OPTIONS', () => {
    const { template, service } = serviceStack({ sourceMap: true, environment: { NODE_OPTIONS: '--max-old-space-size=400' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--max-old-space-size=400 --enable-source-maps' }) },
    });
    expect(existsSync(join(service.bundle!.directory, 'index.js.map'))).toBe(true);
    expect(nodeOptionsWithSourceMaps('--enable-source-maps')).toBe('--enable-source-maps');
    expect(nodeOptionsWithSourceMaps(undefined)).toBe('--enable-source-maps');
  });
});

describe('validation errors carry the construct path', () => {
  it.each([
    [{ worker: { memorySize: 64 } }, /^Auth\/Auth: worker\.memorySize must be an integer from 128 to 10240; got 64/],
    [{ busModule: 'no/such/bus.ts' }, /^Auth\/Auth: busModule: the bus module .* does not exist/],
  ] as [Partial<LightbusServiceProps>, RegExp][])('%j', (props, message) => {
    let caught: unknown;
    try {
      serviceStack(props);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConstructValidationError);
    expect((caught as ConstructValidationError).constructPath).toBe('Auth/Auth');
    expect((caught as Error).message).toMatch(message);
  });

  it('LightbusBus too', () => {
    expect(() => new LightbusBus(new Stack(new App(), 'S'), 'Bus', { busName: 'my bus' })).toThrow(/^S\/Bus: Invalid bus name "my bus"/);
    const stack = new Stack(new App(), 'S');
    const bus = LightbusBus.fromBusName(stack, 'Imported', 'shop');
    expect(() => bus.grantPublishSchemas(new lambda.Function(stack, 'Fn', {
      code: lambda.Code.fromInline('exports.handler = async () => null'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
    }), ['bad-name'])).toThrow(/^S\/Imported: Invalid API name "bad-name"/);
  });
});
