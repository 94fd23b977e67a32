/**
 * The packed tarball in a fresh project, used as a new user would: plain Node scripts (CommonJS
 * and ES modules, no loader) against a worker on the emulator, `lightbus run` on a `.js` bus module
 * with no tsx installed, and the container recipe's command (examples/container/Dockerfile)
 * draining on SIGTERM.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '../support/aws';
import {
  freshProject,
  logged,
  npmInstall,
  ourVersion,
  packedTarball,
  removeProject,
  REPO_ROOT,
  run,
  runFailing,
  startProcess,
  writeFiles,
  type LoggingProcess,
} from './support/fresh-project';

const CONTAINER_EXAMPLE = join(REPO_ROOT, 'examples', 'container');

/** The Dockerfile's CMD (exec form): exactly what the container runs. */
function documentedCommand(): string[] {
  const dockerfile = readFileSync(join(CONTAINER_EXAMPLE, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  if (!cmd) throw new Error('examples/container/Dockerfile has no exec-form CMD');
  return JSON.parse(cmd[1]!) as string[];
}

/** A caller script: calls greeter.greet and fires shop.orderPlaced, then prints the reply. */
const CALLER_BODY = (orderId: string) => `
const bus = lightbus.create({ serviceName: 'caller', apis: [greeterApi, shopApi] });
bus.register(shopApi, {});
const reply = await bus.greeter.greet({ name: ${JSON.stringify(orderId)} }, { timeoutMs: 30000 });
await bus.shop.orderPlaced.fire({ orderId: ${JSON.stringify(orderId)} });
console.log(JSON.stringify({ reply }));
await bus.close();
`;

let project: string;
const busName = uniqueName('pkg');
const workerEnv = { LIGHTBUS_BUS_NAME: busName, LIGHTBUS_LOG_FORMAT: 'json', LIGHTBUS_LOG_LEVEL: 'info' };
const running: LoggingProcess[] = [];

beforeAll(() => {
  project = freshProject('consumer', {
    'package.json': JSON.stringify(
      {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        dependencies: { 'lightbus-aws': `file:${packedTarball()}` },
        devDependencies: { typescript: ourVersion('typescript'), '@types/node': ourVersion('@types/node') },
      },
      null,
      2,
    ),
    'client.cjs': `const { lightbus } = require('lightbus-aws');\nconst { greeterApi, shopApi } = require('./apis.js');\n(async () => {${CALLER_BODY('from-cjs')}})();\n`,
    'client.mjs': `import { lightbus } from 'lightbus-aws';\nimport apis from './apis.js';\nconst { greeterApi, shopApi } = apis;\n${CALLER_BODY('from-esm')}`,
  });
  copyFileSync(join(CONTAINER_EXAMPLE, 'apis.js'), join(project, 'apis.js'));
  copyFileSync(join(CONTAINER_EXAMPLE, 'bus.js'), join(project, 'bus.js'));
  npmInstall(project);
});

afterAll(async () => {
  for (const process of running) process.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  removeProject(project);
});

function start(command: string[]): LoggingProcess {
  const worker = startProcess(project, command, workerEnv);
  running.push(worker);
  return worker;
}

describe('the packed package in a fresh project', () => {
  it('installs without tsx, esbuild or the CDK (optional peers)', () => {
    for (const name of ['tsx', 'esbuild', 'aws-cdk-lib', 'constructs']) {
      expect(existsSync(join(project, 'node_modules', name))).toBe(false);
    }
    expect(existsSync(join(project, 'node_modules', 'lightbus-aws', 'dist', 'runtime', 'index.js'))).toBe(true);
  });

  it('ships an ES-module build for esbuild (the `lightbus-esm` condition) with the same exports as Node loads', () => {
    // Neither Node nor a bundler takes the `lightbus-esm` condition unless told; these are the files bundleWorker's esbuild bundles.
    const script = [
      "const { readFileSync } = require('node:fs');",
      "const exportsMap = JSON.parse(readFileSync('node_modules/lightbus-aws/package.json', 'utf8')).exports;",
      '(async () => {',
      '  const out = {};',
      "  for (const entry of ['.', './handlers', './testing']) {",
      "    const esm = await import('./node_modules/lightbus-aws/' + exportsMap[entry]['lightbus-esm'].default.slice(2));",
      "    out[entry] = { esm: Object.keys(esm).sort(), commonJs: Object.keys(require(entry === '.' ? 'lightbus-aws' : 'lightbus-aws/' + entry.slice(2))).filter((n) => n !== '__esModule').sort() };",
      '  }',
      '  process.stdout.write(JSON.stringify(out));',
      '})();',
    ].join('\n');
    const builds = JSON.parse(run(project, 'node', ['-e', script])) as Record<string, { esm: string[]; commonJs: string[] }>;
    expect(Object.keys(builds)).toEqual(['.', './handlers', './testing']);
    for (const { esm, commonJs } of Object.values(builds)) {
      expect(esm.length).toBeGreaterThan(0);
      expect(esm).toEqual(commonJs);
    }
    expect(readFileSync(join(project, 'node_modules', 'lightbus-aws', 'dist', 'esm', 'package.json'), 'utf8')).toContain('"type": "module"');
  });

  it('serves a .js bus module with `lightbus run --local`, and plain CommonJS and ES-module scripts call it and fire to it', async () => {
    const worker = start(['node', 'node_modules/.bin/lightbus', 'run', '--local', '--bus', 'bus.js']);
    await worker.waitFor(logged('Worker started'), 'Worker started');

    for (const [script, orderId] of [
      ['client.cjs', 'from-cjs'],
      ['client.mjs', 'from-esm'],
    ] as const) {
      const output = run(project, 'node', [script], workerEnv);
      expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ reply: `Hello, ${orderId}!` });
      await worker.waitFor(logged('Order placed', { orderId }), `the worker's log of order ${orderId}`);
    }

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('says how to add tsx when a TypeScript bus module is given and tsx is not installed', () => {
    // An enum: TypeScript that Node's own type stripping (Node >= 22.18) cannot run either.
    writeFiles(project, { 'bus.ts': "enum Source { Container = 'container' }\nexport const source = Source.Container;\nexport { bus } from './bus.js';\n" });
    const result = runFailing(project, 'node', ['node_modules/.bin/lightbus', 'run', '--local', '--bus', 'bus.ts'], workerEnv);
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toContain('npm install --save-dev tsx');
  });

  it('drains on SIGTERM when run by the container recipe (examples/container/Dockerfile CMD)', async () => {
    const command = documentedCommand();
    expect(command[0]).toBe('node'); // node itself receives the signal: no npx, no shell
    // Against the queues the --local worker above provisioned, as a container would against AWS.
    const worker = start(command);
    await worker.waitFor(logged('Worker started'), 'Worker started');
    const output = run(project, 'node', ['client.cjs'], workerEnv);
    expect(output).toContain('Hello, from-cjs!');
    await worker.waitFor(logged('Order placed', { orderId: 'from-cjs' }), 'the order logged by the container worker');

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.lines.some(logged('Received SIGTERM'))).toBe(true);
    expect(worker.lines.some(logged('Worker stopping: no new polls; draining the messages in flight and letting polls under way end'))).toBe(true);
    expect(worker.lines.some(logged('Worker stopped'))).toBe(true);
  });
});
