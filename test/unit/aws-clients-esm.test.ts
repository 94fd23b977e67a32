/**
 * The SDK client classes are required on first use (runtime/transport/aws-clients.ts). A user's
 * ES module bundle that leaves the SDK external (NodejsFunction with format ESM and its default
 * externals) turns that require() into esbuild's shim, which cannot load an external package:
 * the clients must still be created there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const REPO_ROOT = join(__dirname, '..', '..');

describe('AwsClients in an ES module bundle with the SDK external', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lightbus-esm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates each client', () => {
    const outfile = join(dir, 'aws-clients.mjs');
    esbuild.buildSync({
      entryPoints: [join(REPO_ROOT, 'runtime', 'transport', 'aws-clients.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['@aws-sdk/*'],
      outfile,
      logLevel: 'silent',
    });
    const script =
      `const { AwsClients } = await import(${JSON.stringify(pathToFileURL(outfile).href)});` +
      "const c = new AwsClients({ region: 'eu-west-1' });" +
      'console.log([c.sqs, c.eventBridge, c.dynamoDb].map((client) => client.constructor.name).join(" "));';
    // From the project's directory, as a Lambda runs from its own (the SDK comes from NODE_PATH there).
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out.toString().trim()).toBe('SQSClient EventBridgeClient DynamoDBClient');
  });
});
