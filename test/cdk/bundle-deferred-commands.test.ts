/**
 * Worker bundles evaluate the S3 commands (payloads) on first use, not at load
 * (cdk/deferred-sdk-commands.ts): the runtime still builds the SDK's own commands, and a bus module
 * that imports the S3 package itself gets it as it is.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorker, optionalModulesLeftOut } from '../../cdk/bundle';
import { deferringFileName } from '../../cdk/deferred-sdk-commands';

jest.setTimeout(120_000);

const FIXTURES = join(__dirname, 'fixtures');
const DEFERRING = deferringFileName('@aws-sdk/client-s3');

function run(directory: string, expression: string): string {
  const script = `require(${JSON.stringify(join(directory, 'index.js'))}); Promise.resolve(${expression}).then((out) => process.stdout.write(String(out)));`;
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LIGHTBUS_BUS_NAME: 'shop', AWS_REGION: 'us-east-1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the S3 commands in worker bundles', () => {
  const bundle = bundleWorker(join(FIXTURES, 'payload-store-bus.ts'), { minify: false, target: 'node20', leaveOut: optionalModulesLeftOut() });
  const code = readFileSync(join(bundle.directory, 'index.js'), 'utf8');

  it('are evaluated on first use: their modules wrapped, required from the deferring module only', () => {
    expect(bundle.inputs.some((input) => input.endsWith(`/${DEFERRING}`))).toBe(true);
    for (const command of ['GetObjectCommand', 'PutObjectCommand']) {
      expect(code).toContain(`var init_${command} = __esm(`);
      // Initialised in one place: the stand-in's constructor.
      expect(code.split(`init_${command}()`)).toHaveLength(2);
    }
  });

  it("build the SDK's own commands when a payload is stored and read", () => {
    const out = JSON.parse(run(bundle.directory, 'globalThis.payloadRoundTrip()')) as { text: string; sent: [string, boolean, boolean][] };
    expect(out.text).toBe('{"n":1}');
    expect(out.sent).toEqual([
      ['PutObjectCommand', true, true],
      ['GetObjectCommand', true, true],
    ]);
  });

  it('are not deferred for a bus module that imports the S3 package itself', () => {
    const own = bundleWorker(join(FIXTURES, 's3-client-bus.ts'), { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut() });
    expect(own.inputs.some((input) => input.endsWith(`/${DEFERRING}`))).toBe(false);
    expect(run(own.directory, 'globalThis.makeS3Command().constructor.name')).toBe('ListBucketsCommand');
  });
});
