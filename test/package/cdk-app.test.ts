/**
 * A CDK TypeScript app as `cdk init app --language typescript` makes it (its `app` command is
 * `npx tsc && npx tsx bin/<name>.ts`), with the packed package, aws-cdk-lib, constructs and
 * esbuild (lightbus-aws/cdk's peers) installed: it synthesizes a LightbusService whose worker
 * bundle esbuild builds from the installed package's compiled handlers. Once more with ts-node, the
 * other common way to run a CDK app. Then the same app is bootstrapped and deployed to the test
 * emulator with the project's own CDK CLI, and a plain Node script in the project calls the deployed
 * worker through the installed package. The versions are our own (TypeScript 5, as ts-jest needs),
 * so the installs come from the npm cache. Last, what the worker bundle built in this project holds
 * (the package's ES-module build, nothing of the CDK, the CLI or the loaders installed beside it),
 * and its size against the same bundle built from our sources; and which build a bundler of the
 * user's own takes, with and without the package's ES-module condition.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorker, optionalModulesLeftOut, type WorkerBundle } from '../../cdk/bundle';
import { ESM_BUILD_CONDITION } from '../../cdk/package-layout';
import { uniqueName } from '../support/aws';
import { freshProject, npmInstall, ourVersion, packedTarball, removeProject, REPO_ROOT, run, runFailing, writeFiles } from './support/fresh-project';

const APP = 'shop-app';
const TS_NODE_VERSION = '^10.9.2';

const BUS_MODULE = `import { lightbus, z } from 'lightbus-aws';

export const ordersApi = lightbus.api('orders', {
  rpcs: { total: lightbus.rpc({ parameters: { orderId: z.string() }, response: z.number() }) },
});
export const bus = lightbus.create({ serviceName: 'orders', apis: [ordersApi] });
bus.register(ordersApi, { total: ({ orderId }) => orderId.length });
`;

const STACK = `import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { LightbusBus, LightbusService } from 'lightbus-aws/cdk';

export class ShopAppStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    // The deploy test gives its own bus name (the emulator is shared by the run); synth uses "shop".
    const busName = (this.node.tryGetContext('busName') as string | undefined) ?? 'shop';
    // No archive: the emulator's CloudFormation has no AWS::Events::Archive, and the deploy test
    // deploys this stack there.
    const bus = new LightbusBus(this, 'Bus', { busName, archive: false });
    new LightbusService(this, 'Orders', { bus, busModule: join(__dirname, '..', 'services', 'orders', 'bus.ts') });
  }
}
`;

/**
 * A plain Node caller (no loader, no build): the same API contract, the bus name from
 * LIGHTBUS_BUS_NAME, endpoint and credentials from the AWS environment. Prints the RPC's result.
 */
const CALLER = `const { lightbus, z } = require('lightbus-aws');
const ordersApi = lightbus.api('orders', {
  rpcs: { total: lightbus.rpc({ parameters: { orderId: z.string() }, response: z.number() }) },
});
(async () => {
  const bus = lightbus.create({ apis: [ordersApi] });
  try {
    // The first call meets a cold worker (the emulator starts the function): a generous timeout.
    const total = await bus.orders.total({ orderId: process.argv[2] }, { timeoutMs: 90000 });
    console.log(JSON.stringify({ total }));
  } finally {
    await bus.close();
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

let root: string;
let app: string;
/** A folder for the bundle built from our sources (the bus module importing them, not the package). */
let sourcesProject: string | undefined;

beforeAll(() => {
  root = freshProject('cdk', {});
  app = join(root, APP);
  mkdirSync(app);
  // The template of the CDK CLI we test with, as `cdk init` writes it (no install, no git).
  run(app, join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), ['init', 'app', '--language', 'typescript', '--generate-only']);
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  // The app's own unit tests (jest + swc) are not what this is about: left out, with their types.
  rmSync(join(app, 'test'), { recursive: true, force: true });
  rmSync(join(app, 'jest.config.js'), { force: true });
  pkg.devDependencies = {
    'aws-cdk': pkg.devDependencies!['aws-cdk']!,
    '@types/node': ourVersion('@types/node'),
    typescript: ourVersion('typescript'),
    tsx: ourVersion('tsx'),
    esbuild: ourVersion('esbuild'),
    'ts-node': TS_NODE_VERSION,
  };
  pkg.dependencies = {
    'aws-cdk-lib': ourVersion('aws-cdk-lib'),
    constructs: ourVersion('constructs'),
    'lightbus-aws': `file:${packedTarball()}`,
  };
  const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  tsconfig.compilerOptions.types = ['node'];
  writeFiles(app, {
    'package.json': JSON.stringify(pkg, null, 2),
    'tsconfig.json': JSON.stringify(tsconfig, null, 2),
    // A user's strictest flags, on our declarations too (no skipLibCheck).
    'tsconfig.strict.json': JSON.stringify({ extends: './tsconfig.json', compilerOptions: { exactOptionalPropertyTypes: true, skipLibCheck: false } }),
    [`lib/${APP}-stack.ts`]: STACK,
  });
  writeFiles(app, { 'call-total.cjs': CALLER });
  mkdirSync(join(app, 'services', 'orders'), { recursive: true });
  writeFiles(join(app, 'services', 'orders'), { 'bus.ts': BUS_MODULE });
  npmInstall(app);
});

afterAll(() => {
  removeProject(root);
  removeProject(sourcesProject);
});

const CDK_ENV = { CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true', FORCE_COLOR: '0' };

/** The synthesized template's resource types, and the worker bundle's size. */
function synthesized(outdir: string): { types: string[]; bundleBytes: number } {
  const template = JSON.parse(readFileSync(join(app, outdir, 'ShopAppStack.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  const assets = readdirSync(join(app, outdir)).filter((name) => name.startsWith('asset.'));
  const bundles = assets.map((asset) => join(app, outdir, asset, 'index.js')).filter((file) => existsSync(file));
  return {
    types: Object.values(template.Resources).map((resource) => resource.Type),
    bundleBytes: bundles.length === 1 ? readFileSync(bundles[0]!).length : -bundles.length,
  };
}

function expectLightbusStack(outdir: string): void {
  const { types, bundleBytes } = synthesized(outdir);
  expect(types).toEqual(expect.arrayContaining(['AWS::Events::EventBus', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::Lambda::Function', 'Custom::LightbusSchemas']));
  expect(bundleBytes).toBeGreaterThan(10_000);
}

describe('a CDK app (cdk init) with lightbus-aws/cdk', () => {
  it('synthesizes with the template app command (tsc, then tsx)', () => {
    run(app, 'npx', ['cdk', 'synth', '--quiet', '--no-notices'], CDK_ENV);
    expectLightbusStack('cdk.out');
  });

  it('synthesizes when run with ts-node', () => {
    run(app, 'npx', ['cdk', 'synth', '--quiet', '--no-notices', '--app', `npx ts-node --prefer-ts-exts bin/${APP}.ts`, '--output', 'cdk.out.ts-node'], CDK_ENV);
    expectLightbusStack('cdk.out.ts-node');
  });

  it('type-checks lightbus-aws/cdk under exactOptionalPropertyTypes without skipLibCheck', () => {
    const result = runFailing(app, 'npx', ['tsc', '-p', 'tsconfig.strict.json']);
    // aws-cdk-lib's own declarations have errors under this flag; ours and the app's must not.
    const ours = (result.stdout + result.stderr)
      .split('\n')
      .filter((line) => /error TS\d+/.test(line))
      .filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/lightbus-aws/'));
    expect(ours).toEqual([]);
  });

  it('deploys a LightbusService to the emulator with the project\'s CDK CLI, and a plain Node script calls it', () => {
    // The emulator's variables (AWS_ENDPOINT_URL with an IP, AWS_REGION, test credentials) come
    // from the package tests' global setup; it does not enforce IAM.
    const busName = uniqueName('pkg-cdk');
    run(app, 'npx', ['cdk', 'bootstrap', 'aws://000000000000/us-east-1', '--no-notices'], CDK_ENV);
    run(
      app,
      'npx',
      ['cdk', 'deploy', '--all', '--require-approval', 'never', '--no-notices', '--context', `busName=${busName}`, '--output', 'cdk.out.deploy'],
      CDK_ENV,
    );
    // The caller finds the queue and results table from the bus name, as the construct named them.
    const output = run(app, 'node', ['call-total.cjs', 'order-1234'], { LIGHTBUS_BUS_NAME: busName });
    // The worker's handler answers the order id's length: the call went through the deployed function.
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ total: 'order-1234'.length });
  });
});

/** LightbusService's default bundle options (minified, optional modules left out), on the test's own Node target. */
const BUNDLE_OPTIONS = { minify: true, target: 'node22' } as const;

/**
 * The app's bus module bundled by the installed package's own bundleWorker, as LightbusService's
 * synth does it (bundleWorker is internal, so reached by its file, as the construct reaches it).
 */
function bundleFromInstalledPackage(): Pick<WorkerBundle, 'sizeBytes' | 'inputs'> {
  const script = [
    "const { bundleWorker, optionalModulesLeftOut } = require('./node_modules/lightbus-aws/dist/cdk/bundle.js');",
    `const bundle = bundleWorker(require('node:path').resolve('services/orders/bus.ts'), { ...${JSON.stringify(BUNDLE_OPTIONS)}, leaveOut: optionalModulesLeftOut() });`,
    'process.stdout.write(JSON.stringify({ sizeBytes: bundle.sizeBytes, inputs: bundle.inputs }));',
  ].join('\n');
  return JSON.parse(run(app, 'node', ['-e', script])) as Pick<WorkerBundle, 'sizeBytes' | 'inputs'>;
}

/** Packages that must never reach a worker bundle, though the app has them installed or the package depends on them. */
const NOT_IN_A_WORKER = ['aws-cdk-lib', 'constructs', 'esbuild', 'tsx', 'ts-node', 'typescript', 'commander', 'hono', '@hono/node-server', 'ajv', 'ajv-formats', 'yaml'];

describe('the worker bundle built from the installed package', () => {
  it('holds the package\'s ES-module build, and nothing of the CDK, the CLI, the loaders or the optional modules', () => {
    const { inputs } = bundleFromInstalledPackage();
    const ours = inputs.filter((input) => input.startsWith('node_modules/lightbus-aws/'));
    // The handler entry and the bus module's `lightbus-aws` import both reach dist/esm: one tree-shaken copy.
    expect(ours.some((input) => input.startsWith('node_modules/lightbus-aws/dist/esm/handlers/'))).toBe(true);
    expect(ours.some((input) => input.startsWith('node_modules/lightbus-aws/dist/esm/runtime/'))).toBe(true);
    // No CommonJS build (esbuild cannot tree-shake it, and it would be a second runtime), no construct or CLI code.
    expect(ours.filter((input) => !input.startsWith('node_modules/lightbus-aws/dist/esm/'))).toEqual([]);
    const packages = inputs.map((input) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1]).filter((name) => name !== undefined);
    expect(NOT_IN_A_WORKER.filter((name) => packages.includes(name))).toEqual([]);
    // zod's ES modules (tree-shaken), not its CommonJS build.
    expect(inputs.filter((input) => /node_modules\/zod\/.*\.cjs$/.test(input))).toEqual([]);
  });

  it('is no larger than the same bundle built from our sources', () => {
    const installed = bundleFromInstalledPackage();
    sourcesProject = freshProject('bundle-sources', {
      'bus.ts': BUS_MODULE.replace("from 'lightbus-aws'", `from ${JSON.stringify(join(REPO_ROOT, 'runtime'))}`),
    });
    const sources = bundleWorker(join(sourcesProject, 'bus.ts'), { ...BUNDLE_OPTIONS, leaveOut: optionalModulesLeftOut() });
    // Same code through the same bundler: equal but for dependency versions the fresh install may
    // resolve differently (zod, the SDK). The CommonJS build made the bench's bundle 1.31×.
    expect(installed.sizeBytes / sources.sizeBytes).toBeLessThanOrEqual(1.02);
    expect(installed.sizeBytes / sources.sizeBytes).toBeGreaterThan(0.9);
  });
});

/**
 * What of lightbus-aws a bundle of `imports` (entry specifiers) holds, bundled by the app's esbuild
 * with esbuild's default conditions or `conditions`: the package's files, by build folder
 * (`dist/esm`, `dist/runtime`, ...) with their count.
 */
function packageBuildsBundled(imports: readonly string[], conditions?: readonly string[]): Record<string, number> {
  const script = [
    "const esbuild = require('esbuild');",
    'const result = esbuild.buildSync({',
    `  stdin: { contents: ${JSON.stringify(imports.map((specifier, i) => `import * as m${i} from '${specifier}';\nconsole.log(m${i});`).join('\n'))}, resolveDir: process.cwd(), loader: 'js' },`,
    "  bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent',",
    // The CLI's loaders and the CDK are installed in the app but are none of this question.
    "  external: ['esbuild', 'tsx', 'typescript', 'playwright-core', 'aws-cdk-lib', 'constructs'],",
    ...(conditions === undefined ? [] : [`  conditions: ${JSON.stringify(conditions)},`]),
    '});',
    'const builds = {};',
    "for (const input of Object.keys(result.metafile.inputs).filter((i) => i.startsWith('node_modules/lightbus-aws/'))) {",
    "  const build = input.split('/').slice(2, 4).join('/');",
    '  builds[build] = (builds[build] ?? 0) + 1;',
    '}',
    'process.stdout.write(JSON.stringify(builds));',
  ].join('\n');
  return JSON.parse(run(app, 'node', ['-e', script])) as Record<string, number>;
}

describe("a bundler's view of the installed package", () => {
  it('gets the CommonJS build by default (webpack, Rollup and Vite set no lightbus-esm condition): one copy of the runtime with lightbus-aws/local', () => {
    // dist/esm keeps literal require() calls (lazy SDK clients, optional modules) that only esbuild
    // bundles, and ./local has no ES-module build: without our condition, no bundler may get it.
    const builds = packageBuildsBundled(['lightbus-aws', 'lightbus-aws/local', 'lightbus-aws/handlers', 'lightbus-aws/testing']);
    expect(Object.keys(builds).sort()).toEqual(['dist/handlers', 'dist/local', 'dist/runtime']);
  });

  it(`gets the ES-module build of ., ./handlers and ./testing under the ${ESM_BUILD_CONDITION} condition (esbuild, as bundleWorker and docs/deployment.md do it)`, () => {
    const builds = packageBuildsBundled(['lightbus-aws', 'lightbus-aws/handlers', 'lightbus-aws/testing'], [ESM_BUILD_CONDITION, 'module']);
    expect(Object.keys(builds)).toEqual(['dist/esm']);
  });
});
