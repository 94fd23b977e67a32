import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { bundleWorker, optionalModulesLeftOut } from '../../cdk/bundle';
import { OptionalModuleMissingError, requireOptional } from '../../runtime/modules';

const AUTH_BUS = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');

describe('worker bundles leave optional modules out unless asked', () => {
  it('leaves ajv and yaml out by default: they stay require() calls, not bundled code', () => {
    const lean = bundleWorker(AUTH_BUS, { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut() });
    const code = readFileSync(join(lean.directory, 'index.js'), 'utf8');
    expect(code).toMatch(/require\("ajv\/dist\/2020"\)/);
    expect(code).toMatch(/require\("yaml"\)/);
    const full = bundleWorker(AUTH_BUS, { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut({ jsonSchemaValidator: true, yamlParser: true }) });
    const fullCode = readFileSync(join(full.directory, 'index.js'), 'utf8');
    expect(fullCode).not.toMatch(/require\("ajv\/dist\/2020"\)/);
    expect(full.sizeBytes - lean.sizeBytes).toBeGreaterThan(200_000);
  });

  it('turns a missing optional module into an error that says how to get it', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'ajv/dist/2020'"), { code: 'MODULE_NOT_FOUND' });
    };
    const error = (() => {
      try {
        requireOptional('ajv', 'Validating against a JSON Schema published on the bus', missing);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OptionalModuleMissingError);
    expect((error as Error).message).toMatch(/needs the "ajv" package.*bundleJsonSchemaValidator/);
    // Other failures pass through untouched.
    expect(() => requireOptional('ajv', 'x', () => { throw new TypeError('boom'); })).toThrow(TypeError);
  });
});

describe('worker bundles load the SDK client classes on first use', () => {
  const SDK_CLIENTS = [
    { pkg: 'client-sqs', client: 'SQSClient', unusedCommand: 'CreateQueueCommand' },
    { pkg: 'client-eventbridge', client: 'EventBridgeClient', unusedCommand: 'CreateEventBusCommand' },
    { pkg: 'client-dynamodb', client: 'DynamoDBClient', unusedCommand: 'CreateTableCommand' },
    { pkg: 'client-sns', client: 'SNSClient', unusedCommand: 'CreateTopicCommand' },
  ];
  // A bus module that imports no SDK client itself (the example's auth service does, for its users
  // table: its bundle keeps the SDK's initialisers, test/cdk/bundle-sdk-import.test.ts).
  const SHIPPING_BUS = join(__dirname, 'fixtures', 'shipping-bus.ts');
  const code = (): string => readFileSync(join(bundleWorker(SHIPPING_BUS, { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut() }).directory, 'index.js'), 'utf8');

  it.each(SDK_CLIENTS)('$client: its ES module, evaluated only by the loader in runtime/transport/aws-clients.ts', ({ pkg, client }) => {
    const bundle = code();
    // The path esbuild prints is relative to the working directory (`../main/node_modules/...` in a worktree whose node_modules links to another).
    expect(bundle).toMatch(new RegExp(`\\n// (\\.\\./)*([^\\n]*/)?node_modules/@aws-sdk/${pkg}/dist-es/${client}\\.js\\n`));
    // Wrapped (evaluated when first called), and called from one place: the lazy loader.
    expect(bundle).toContain(`var init_${client} = __esm(`);
    expect(bundle.split(`init_${client}()`)).toHaveLength(2);
    expect(bundle).toMatch(new RegExp(`\\(init_${client}\\(\\), __toCommonJS\\(`));
  });

  it('resolves the SDK from the runtime, not from the working directory', () => {
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      // A target no other test uses, so the bundle is built here rather than taken from the cache.
      expect(() => bundleWorker(AUTH_BUS, { minify: true, target: 'node21', leaveOut: optionalModulesLeftOut() })).not.toThrow();
    } finally {
      process.chdir(cwd);
    }
  });

  it.each(SDK_CLIENTS)('$client: no second copy (dist-cjs) and no commands the runtime never sends', ({ pkg, unusedCommand }) => {
    const bundle = code();
    expect(bundle).not.toContain(`// node_modules/@aws-sdk/${pkg}/dist-cjs/`);
    expect(bundle).not.toContain(unusedCommand);
  });

  it('keeps CDK out of the bundle', () => {
    expect(code()).not.toMatch(/\/\/ node_modules\/(aws-cdk-lib|constructs)\//);
  });
});

describe('worker bundles write non-ASCII text as UTF-8', () => {
  it("keeps zod's locale messages as characters, not \\u escapes (charset utf8)", () => {
    const bundle = bundleWorker(AUTH_BUS, { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut() });
    const code = readFileSync(join(bundle.directory, 'index.js'), 'utf8');
    // The Russian locale's "Неверный ввод" (invalid input), as zod writes it.
    expect(code).toContain('Неверный ввод');
    expect(code).not.toMatch(/\\u041D\\u0435\\u0432/i);
  });
});
