/**
 * Worker bundles hold the runtime's lite S3 object client in place of @aws-sdk/client-s3
 * (cdk/lite-s3-client.ts): the runtime's payload store sends its commands and builds its client,
 * and a bus module that imports the S3 package itself gets the SDK's client as it is.
 * (test/integration/payload-store.test.ts and worker-bundle-payloads.test.ts run it against the emulator.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorker, optionalModulesLeftOut } from '../../cdk/bundle';
import { liteS3FileName } from '../../cdk/lite-s3-client';

jest.setTimeout(120_000);

const FIXTURES = join(__dirname, 'fixtures');
const LITE = liteS3FileName();

function run(directory: string, expression: string): string {
  const script = `require(${JSON.stringify(join(directory, 'index.js'))}); Promise.resolve(${expression}).then((out) => process.stdout.write(String(out)));`;
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LIGHTBUS_BUS_NAME: 'shop', AWS_REGION: 'us-east-1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const sdkS3Inputs = (inputs: readonly string[]) => inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-s3/'));

describe('S3 in worker bundles', () => {
  const bundle = bundleWorker(join(FIXTURES, 'payload-store-bus.ts'), { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut() });

  it("hold the lite client in place of the SDK's S3 package", () => {
    expect(bundle.inputs.some((input) => input.endsWith(`/${LITE}`))).toBe(true);
    expect(bundle.inputs).toContain('runtime/payloads/s3-lite/client.ts');
    expect(sdkS3Inputs(bundle.inputs)).toEqual([]);
  });

  it('evaluate the client (and the SDK pieces it is built from) on first use only, as the SDK clients are', () => {
    const code = readFileSync(join(bundle.directory, 'index.js'), 'utf8');
    const initOf = (module: string) => new RegExp(`var (init_\\w+) = __esm\\(\\{\\n\\s*"[^"\\n]*${module.replace(/[.+]/g, '\\$&')}"\\(\\)`).exec(code)?.[1];
    const client = initOf('runtime/payloads/s3-lite/client.ts');
    const substitute = initOf(LITE.replace('.lite-s3.js', '+client.lite-s3.js'));
    expect(client).toBeDefined();
    expect(substitute).toBeDefined();
    // The client's initialiser runs from the substitute's only, and that one only from the lazy load in aws-clients.ts.
    expect(code.split(`${client!}()`)).toHaveLength(2);
    expect(code.split(`${substitute!}()`)).toHaveLength(2);
    expect(code).toContain(`(${substitute!}(), __toCommonJS(`);
  });

  it("send the lite client's commands when a payload is stored and read, and build the lite client", () => {
    const out = JSON.parse(run(bundle.directory, 'globalThis.payloadRoundTrip()')) as { text: string; sent: [string, boolean, boolean][]; s3Client: string };
    expect(out.text).toBe('{"n":1}');
    // [command, its key is the reference's, it has the SDK's middleware stack]
    expect(out.sent).toEqual([
      ['PutObjectCommand', true, false],
      ['GetObjectCommand', true, false],
    ]);
    expect(out.s3Client).toBe('S3ObjectClient');
  });

  it('keep the SDK client for a bus module that imports the S3 package itself', () => {
    const own = bundleWorker(join(FIXTURES, 's3-client-bus.ts'), { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut() });
    expect(own.inputs.some((input) => input.endsWith('.lite-s3.js'))).toBe(false);
    expect(sdkS3Inputs(own.inputs).length).toBeGreaterThan(0);
    expect(run(own.directory, 'globalThis.makeS3Command().constructor.name')).toBe('ListBucketsCommand');
    expect(run(own.directory, 'globalThis.runtimeS3ClientName()')).toBe('S3Client');
  });

  it('keep the SDK client for a bus module that imports only a name the substitute has too', () => {
    const own = bundleWorker(join(FIXTURES, 's3-get-object-bus.ts'), { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut() });
    expect(own.inputs.some((input) => input.endsWith('.lite-s3.js'))).toBe(false);
    expect(run(own.directory, 'globalThis.s3CommandHasStack()')).toBe('true');
    expect(run(own.directory, 'globalThis.runtimeS3ClientName()')).toBe('S3Client');
  });
});
