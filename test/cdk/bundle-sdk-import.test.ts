/**
 * A bus module's own static import of an SDK client the runtime loads lazily works in the worker
 * bundle before the runtime has loaded that client (found by the SNS end-to-end deploy: a listener
 * writing to its own DynamoDB table failed with "… is not a constructor" on Lambda).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { bundleWorker } from '../../cdk/bundle';

jest.setTimeout(120_000);

// The runtime require()s the SDK clients lazily (LAZY_SDK_CLIENT_MODULES in cdk/bundle.ts), so
// esbuild wraps each client's ES module in a lazy initialiser; with the SDK's `sideEffects: false`
// it dropped that initialiser from the bus module's own static import. bundleWorker now builds such
// bundles with ignoreAnnotations (only when a bus module imports a lazily loaded client itself).
it("keeps the initialisation of an SDK client the bus module imports itself (esbuild, sideEffects: false)", () => {
  const bundle = bundleWorker(join(__dirname, 'fixtures', 'sdk-client-bus.ts'), { minify: true, target: 'node20', sourceMap: false, leaveOut: [] });
  // A fresh process: loading the bundle runs the bus module; nothing has used DynamoDB yet.
  const script = `require(${JSON.stringify(join(bundle.directory, 'index.js'))}); const c = globalThis.makeDynamoClient(); process.stdout.write(c.constructor.name);`;
  const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LIGHTBUS_BUS_NAME: 'bundle-probe', AWS_REGION: 'us-east-1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toBe('DynamoDBClient');
});
