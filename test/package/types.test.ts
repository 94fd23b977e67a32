/**
 * The declarations of the packed package under a user's strict flags, in a fresh project:
 * exactOptionalPropertyTypes, every moduleResolution a user may pick (node16 as CommonJS and as
 * ES module, bundler with and without the `lightbus-esm` condition of our esbuild bundles, and the
 * old `node`, which finds the subpaths through typesVersions), and no skipLibCheck. `./handlers` compiles with
 * nothing but the package (no @types/aws-lambda of the user's own). The CDK entry is checked in cdk-app.test.ts, where aws-cdk-lib is installed.
 */
import { freshProject, npmInstall, ourVersion, packedTarball, removeProject, runFailing } from './support/fresh-project';

/** Uses every entry point's types the way a user would. */
const USER_CODE = `
import { lightbus, z, LightbusError, type Bus } from 'lightbus-aws';
import { createSqsHandler, createWorkerHandler } from 'lightbus-aws/handlers';
import { mockBus } from 'lightbus-aws/testing';
import { LightbusWorker, resolveBusModulePath } from 'lightbus-aws/local';

export const ordersApi = lightbus.api('orders', {
  rpcs: { total: lightbus.rpc({ parameters: { orderId: z.string() }, response: z.number() }) },
  events: { placed: lightbus.event({ parameters: { orderId: z.string() } }) },
});
export const bus = lightbus.create({ serviceName: 'orders', apis: [ordersApi] });
bus.register(ordersApi, { total: ({ orderId }) => orderId.length });
export async function total(orderId: string): Promise<number> {
  return bus.orders.total({ orderId });
}
export const sqsHandler = createSqsHandler(bus);
export const workerHandler = createWorkerHandler({ bus });
export const mocked = mockBus;
export const worker: typeof LightbusWorker = LightbusWorker;
export const resolve: (given: string | undefined) => string = (given) => resolveBusModulePath(given);
export function isOurs(error: unknown): error is LightbusError {
  return error instanceof LightbusError;
}
export type AnyBus = Bus;
`;

const STRICT = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
};

const CONFIGS: Record<string, { compilerOptions: Record<string, unknown>; files: string[] }> = {
  'tsconfig.node16.json': { compilerOptions: { ...STRICT, module: 'node16', moduleResolution: 'node16' }, files: ['check.cts', 'check.mts'] },
  'tsconfig.nodenext.json': { compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['check.cts', 'check.mts'] },
  'tsconfig.bundler.json': { compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler' }, files: ['check.ts'] },
  // A project whose TypeScript resolves as its esbuild does when it opts into our ES-module build (the `lightbus-esm` condition).
  'tsconfig.bundler-esm.json': { compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler', customConditions: ['lightbus-esm'] }, files: ['check.ts'] },
  'tsconfig.node.json': { compilerOptions: { ...STRICT, module: 'commonjs', moduleResolution: 'node' }, files: ['check.ts'] },
};

let project: string;

beforeAll(() => {
  project = freshProject('types', {
    'package.json': JSON.stringify({
      name: 'strict-consumer',
      version: '1.0.0',
      private: true,
      dependencies: { 'lightbus-aws': `file:${packedTarball()}` },
      devDependencies: { typescript: ourVersion('typescript'), '@types/node': ourVersion('@types/node') },
    }),
    'check.ts': USER_CODE,
    'check.cts': USER_CODE,
    'check.mts': USER_CODE,
    ...Object.fromEntries(Object.entries(CONFIGS).map(([name, config]) => [name, JSON.stringify(config, null, 2)])),
  });
  npmInstall(project);
});

afterAll(() => removeProject(project));

/** tsc's errors, by file: a user's own code or ours count; other libraries' own declarations do not. */
function errorsThatCount(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/lightbus-aws/'));
}

describe('the declarations under strict user flags', () => {
  it.each(Object.keys(CONFIGS))('compile with %s', (config) => {
    const result = runFailing(project, 'npx', ['tsc', '-p', config]);
    // Without skipLibCheck another library's own declarations may not pass every flag (zod's under
    // `moduleResolution: node` without esModuleInterop): those are not ours to fix.
    expect(errorsThatCount(result.stdout + result.stderr)).toEqual([]);
  });
});
