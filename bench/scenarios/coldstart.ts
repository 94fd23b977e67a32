/**
 * Scenario 6 — cold start: the worker Lambda's bundle (bundleWorker, what LightbusService ships)
 * against a Powertools-based handler bundling the same SDK clients: bundle size, the time to load
 * the bundle in a fresh Node process, and that plus the first invocation (a 10-record SQS event for
 * a no-op listener), so that work deferred from load to first use is still counted. And the same
 * bundle as a user's project builds it: the packed tarball installed into a fresh project, whose
 * own copy of the bundler bundles the same bus module against the installed package (its ES-module
 * build, dist/esm), vs the bundle built here from sources (size and load time must not grow) and vs
 * the Powertools handler.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import { figure, type ScenarioResult } from '../lib/report';
import { round, summarise } from '../lib/stats';
import { lambdaPrerequisite, sqsEvent } from './lambda';

export const TARGET = 'node20';
/** The bus name the fresh processes run with: the event's queue ARN must match it. */
const BUS_NAME = 'coldstart-bench';
const MARK = '@@coldstart ';

interface ColdStartSample {
  /** require() until `handler` exists. */
  readonly loadMs: number;
  /** require() plus the first invocation, until its response. */
  readonly firstInvocationMs: number;
}

/**
 * One fresh `node`: the event is read before the clock starts; the handler must report no failed
 * record. The result is printed after a marker, as the handler may log to stdout.
 */
function coldStart(file: string, eventFile: string): ColdStartSample {
  const script = [
    `const event=JSON.parse(require('node:fs').readFileSync(${JSON.stringify(eventFile)},'utf8'));`,
    "const context={functionName:'bench',awsRequestId:'req',getRemainingTimeInMillis:()=>300000};",
    `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=='function')throw new Error('no handler');`,
    'const loaded=process.hrtime.bigint();',
    'Promise.resolve(m.handler(event,context)).then((out)=>{const done=process.hrtime.bigint();',
    "if(out&&out.batchItemFailures&&out.batchItemFailures.length)throw new Error('failed records: '+JSON.stringify(out.batchItemFailures));",
    `process.stdout.write('\\n${MARK}'+JSON.stringify({loadMs:Number(loaded-t)/1e6,firstInvocationMs:Number(done-t)/1e6})+'\\n');});`,
  ].join('');
  const env = { ...process.env, NODE_OPTIONS: '', LIGHTBUS_BUS_NAME: BUS_NAME };
  const out = execFileSync(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (line === undefined) throw new Error(`cold start of ${file} printed no result: ${out.slice(0, 500)}`);
  return JSON.parse(line.slice(MARK.length)) as ColdStartSample;
}

/** zod imported as its own docs write it: a namespace, whose unused functions (and locales) bundlers drop. */
const ZOD_NAMESPACE_IMPORT = "import * as z from 'zod';";

/**
 * The same bus module as bench/fixtures, importing the installed package as a user's would; and
 * a copy (`-zod` files) that imports `z` from zod as a namespace instead of from lightbus-aws.
 */
function installedBusModuleFiles(): Record<string, string> {
  const fixtures = path.join(REPO_ROOT, 'bench', 'fixtures');
  const fromPackage = (file: string) => fs.readFileSync(path.join(fixtures, file), 'utf8').replace("from '../../runtime'", "from 'lightbus-aws'");
  const api = fromPackage('bench-api.ts');
  const apiWithZod = api.replace("import { lightbus, z } from 'lightbus-aws';", `import { lightbus } from 'lightbus-aws';\n${ZOD_NAMESPACE_IMPORT}`);
  if (apiWithZod === api) throw new Error("bench/fixtures/bench-api.ts no longer imports { lightbus, z }: update the zod variant");
  return {
    'bench-api.ts': api,
    'lambda-bus.ts': fromPackage('lambda-bus.ts'),
    'bench-api-zod.ts': apiWithZod,
    'lambda-bus-zod.ts': fromPackage('lambda-bus.ts').replace("from './bench-api'", "from './bench-api-zod'"),
  };
}

/** The npm version range of one of our devDependencies (the fresh project installs the same, from the cache). */
function ourVersion(name: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return pkg.devDependencies[name]!;
}

interface InstalledBundle {
  readonly file: string;
  readonly inputs: readonly string[];
}

/**
 * The worker bundles a user's project gets: `npm pack` here (its prepack builds dist/; or
 * BENCH_PACKAGE_TARBALL), installed with esbuild into a fresh project, bundled there by the
 * installed package's own bundleWorker with LightbusService's defaults: the bus module as the
 * fixture writes it, and its copy importing zod as a namespace.
 */
function bundlesFromInstalledPackage(project: string, leaveOutSns: boolean, leaveOutZodLocales: boolean): { standard: InstalledBundle; zodNamespace: InstalledBundle } {
  let tarball = process.env.BENCH_PACKAGE_TARBALL;
  if (tarball === undefined || tarball === '') {
    const output = execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // prepack's build output comes first on stdout; the JSON report is the last thing npm prints.
    const report = JSON.parse(output.slice(output.lastIndexOf('\n[') + 1)) as Array<{ filename: string }>;
    tarball = path.join(project, report[0]!.filename);
  }
  const packageJson = { name: 'coldstart-user', version: '1.0.0', private: true, dependencies: { 'lightbus-aws': `file:${tarball}` }, devDependencies: { esbuild: ourVersion('esbuild') } };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(packageJson, null, 2));
  for (const [name, text] of Object.entries(installedBusModuleFiles())) fs.writeFileSync(path.join(project, name), text);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  // bundleWorker is internal (not in the package's exports): reached by its file, as LightbusService reaches it.
  const script = [
    "const { bundleWorker, optionalModulesLeftOut } = require('./node_modules/lightbus-aws/dist/cdk/bundle.js');",
    // A package from before left-out SDK clients (BENCH_PACKAGE_TARBALL of an older commit) has no such module.
    "const leftOut = (() => { try { return require('./node_modules/lightbus-aws/dist/cdk/left-out-modules.js'); } catch { return undefined; } })();",
    `const leaveOutSdkClients = ${JSON.stringify(leaveOutSns)} && leftOut ? [leftOut.SNS_CLIENT_LEFT_OUT] : [];`,
    'const bundle = (file) => {',
    `  const b = bundleWorker(require('node:path').resolve(file), { minify: true, target: ${JSON.stringify(TARGET)}, leaveOut: optionalModulesLeftOut(), leaveOutSdkClients, leaveOutZodLocales: ${JSON.stringify(leaveOutZodLocales)} });`,
    "  return { file: require('node:path').join(b.directory, 'index.js'), inputs: b.inputs ?? [] };",
    '};',
    "process.stdout.write(JSON.stringify({ standard: bundle('lambda-bus.ts'), zodNamespace: bundle('lambda-bus-zod.ts') }));",
  ].join('\n');
  const output = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(output) as { standard: InstalledBundle; zodNamespace: InstalledBundle };
}

/** The Powertools fixture bundled as a user would (esbuild, minified), from `contents` (its text, maybe edited). */
export function bundlePowertools(esbuild: typeof import('esbuild'), contents: string, outfile: string): void {
  esbuild.buildSync({
    stdin: { contents, resolveDir: path.join(REPO_ROOT, 'bench', 'fixtures'), sourcefile: 'powertools-handler.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: TARGET,
    outfile,
    minify: true,
    keepNames: true,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    logLevel: 'silent',
  });
}

/** How many of a bundle's inputs are the installed package's ES-module build, and how many its CommonJS build (which esbuild cannot tree-shake). */
function installedBuildsIn(inputs: readonly string[]): { esm: number; commonJs: number } {
  const ours = inputs.filter((input) => input.includes('node_modules/lightbus-aws/dist/'));
  const esm = ours.filter((input) => input.includes('node_modules/lightbus-aws/dist/esm/')).length;
  return { esm, commonJs: ours.length - esm };
}

export async function coldStartScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const missing = lambdaPrerequisite() ?? (fs.existsSync(path.join(REPO_ROOT, 'cdk', 'bundle.ts')) ? undefined : 'cdk/bundle.ts does not exist yet');
  if (missing) return { id: 'coldstart', title: 'Cold start', status: 'skipped', reason: missing, figures: [], details: {}, notes: [] };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { bundleWorker, workerBundleLeaveOuts } = require('../../cdk/bundle') as typeof import('../../cdk/bundle');
  const { loadBusModuleTopology } = require('../../cdk/bus-module-topology') as typeof import('../../cdk/bus-module-topology');
  const esbuild = require('esbuild') as typeof import('esbuild');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // What LightbusService bundles by default: optional modules (ajv, yaml) and zod's locales other
  // than English left out, and the SDK clients the service's topology never uses (the SNS client:
  // the bench API is on EventBridge).
  const busModule = path.join(REPO_ROOT, 'bench', 'fixtures', 'lambda-bus.ts');
  const leaveOuts = workerBundleLeaveOuts({}, loadBusModuleTopology(busModule, BUS_NAME).topology);
  const leaveOutSdkClients = leaveOuts.leaveOutSdkClients ?? [];
  const ours = bundleWorker(busModule, { minify: true, target: TARGET, ...leaveOuts });
  const full = bundleWorker(path.join(REPO_ROOT, 'bench', 'fixtures', 'lambda-bus.ts'), { minify: true, target: TARGET });
  const oursFile = path.join(ours.directory, 'index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-powertools-'));
  const ptFile = path.join(dir, 'index.js');
  const ptZodFile = path.join(dir, 'zod-namespace', 'index.js');
  const ptSource = fs.readFileSync(path.join(REPO_ROOT, 'bench', 'fixtures', 'powertools-handler.ts'), 'utf8');
  const ptZodSource = ptSource.replace("import { z } from 'zod';", ZOD_NAMESPACE_IMPORT);
  if (ptZodSource === ptSource) throw new Error("bench/fixtures/powertools-handler.ts no longer imports { z } from 'zod': update the zod variant");
  bundlePowertools(esbuild, ptSource, ptFile);
  // Every worker handles payloads (a caller's parametersRef, a result too large for its item) with S3:
  // the worker bundle with its own small S3 object client, this variant with the SDK's S3 client.
  const ptS3File = path.join(dir, 'with-s3', 'index.js');
  const ptS3Source = ptSource
    .replace("import { SQSClient } from '@aws-sdk/client-sqs';", "import { SQSClient } from '@aws-sdk/client-sqs';\nimport { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';")
    .replace('eventBridge: new EventBridgeClient({}) };', 'eventBridge: new EventBridgeClient({}), s3: new S3Client({}) };\nexport const payloadCommands = [GetObjectCommand, PutObjectCommand];');
  if (!ptS3Source.includes('new S3Client')) throw new Error('bench/fixtures/powertools-handler.ts changed: update its S3 variant');
  bundlePowertools(esbuild, ptS3Source, ptS3File);
  const ptS3Bytes = fs.statSync(ptS3File).size;
  bundlePowertools(esbuild, ptZodSource, ptZodFile);
  const eventFile = path.join(dir, 'sqs-event.json');
  fs.writeFileSync(eventFile, JSON.stringify(sqsEvent(`arn:aws:sqs:us-east-1:000000000000:${BUS_NAME}-listen-bench-counter`, 0)));
  const userProject = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-installed-'));
  const { standard: installed, zodNamespace: installedZod } = bundlesFromInstalledPackage(userProject, leaveOutSdkClients.length > 0, leaveOuts.leaveOutZodLocales === true);
  const installedFile = installed.file;
  const runs = ctx.quick ? 5 : 15;
  const oursSamples: ColdStartSample[] = [];
  const ptSamples: ColdStartSample[] = [];
  const installedSamples: ColdStartSample[] = [];
  const installedZodSamples: ColdStartSample[] = [];
  const ptZodSamples: ColdStartSample[] = [];
  // Each round starts with the next bundle (ours, Powertools, installed, ...; then Powertools,
  // installed, ..., ours): on a busy machine a fixed order gave one position a steady penalty.
  const contenders = [
    { file: oursFile, samples: oursSamples },
    { file: ptFile, samples: ptSamples },
    { file: installedFile, samples: installedSamples },
    { file: installedZod.file, samples: installedZodSamples },
    { file: ptZodFile, samples: ptZodSamples },
  ];
  for (const contender of contenders) coldStart(contender.file, eventFile);
  for (let i = 0; i < runs; i += 1) {
    for (let k = 0; k < contenders.length; k += 1) {
      const contender = contenders[(i + k) % contenders.length]!;
      contender.samples.push(coldStart(contender.file, eventFile));
    }
  }
  const installedLoad = summarise(installedSamples.map((s) => s.loadMs));
  const installedFirst = summarise(installedSamples.map((s) => s.firstInvocationMs));
  const ptBytes = fs.statSync(ptFile).size;
  const installedZodBytes = fs.statSync(installedZod.file).size;
  const ptZodBytes = fs.statSync(ptZodFile).size;
  const installedZodLoad = summarise(installedZodSamples.map((s) => s.loadMs));
  const ptZodLoad = summarise(ptZodSamples.map((s) => s.loadMs));
  const installedBytes = fs.statSync(installedFile).size;
  const oursBytes = fs.statSync(oursFile).size;
  const oursLoad = summarise(oursSamples.map((s) => s.loadMs));
  const ptLoad = summarise(ptSamples.map((s) => s.loadMs));
  const oursFirst = summarise(oursSamples.map((s) => s.firstInvocationMs));
  const ptFirst = summarise(ptSamples.map((s) => s.firstInvocationMs));
  const oursKb = round(fs.statSync(oursFile).size / 1024, 0);
  const ptKb = round(fs.statSync(ptFile).size / 1024, 0);
  const files = installedBuildsIn(installed.inputs);
  ctx.log(`  bundle from the installed package: ${round(installedBytes / 1024, 0)} kB, load p50 ${installedLoad.p50} ms (from sources: ${oursKb} kB, ${oursLoad.p50} ms); its lightbus-aws files: ${files.esm} from dist/esm, ${files.commonJs} CommonJS`);
  ctx.log(`  zod imported as a namespace: installed ${round(installedZodBytes / 1024, 0)} kB, load p50 ${installedZodLoad.p50} ms; Powertools ${round(ptZodBytes / 1024, 0)} kB, ${ptZodLoad.p50} ms`);
  ctx.log(`  bundle: lightbus ${oursKb} kB, Powertools ${ptKb} kB; load p50: lightbus ${oursLoad.p50} ms, Powertools ${ptLoad.p50} ms; load + first invocation p50: lightbus ${oursFirst.p50} ms, Powertools ${ptFirst.p50} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(userProject, { recursive: true, force: true });
  return {
    id: 'coldstart',
    title: 'Cold start',
    status: 'ok',
    figures: [
      figure('worker Lambda bundle (minified)', oursKb, 'kB', 'lower', { name: 'Powertools handler bundle, same SDK clients', value: ptKb }, { text: '≤ 1.0×', ratio: 1.0 }),
      // Bytes only: the same handler with the S3 client the worker bundles for payloads (its load time is not sampled).
      figure('worker Lambda bundle (minified), against Powertools with the S3 client too', oursBytes, 'bytes', 'lower', { name: 'Powertools handler bundle, SQS, EventBridge, DynamoDB and S3 clients', value: ptS3Bytes }),
      figure('load time in a fresh Node process, p50', oursLoad.p50, 'ms', 'lower', { name: 'Powertools handler', value: ptLoad.p50 }, { text: '≤ 1.0×', ratio: 1.0 }),
      figure(
        'load + first invocation (10-record SQS event, no-op listener), p50',
        oursFirst.p50,
        'ms',
        'lower',
        { name: 'Powertools handler, same event', value: ptFirst.p50 },
        { text: '≤ 1.0×', ratio: 1.0 },
      ),
      // Bytes, not kB: the two bundles may differ by less than a kB.
      figure('worker bundle built in a user\'s project from the packed package (minified)', installedBytes, 'bytes', 'lower', { name: 'the same bundle built here from sources', value: oursBytes }, { text: '≤ 1.0×', ratio: 1.0 }),
      figure('its load time in a fresh Node process, p50', installedLoad.p50, 'ms', 'lower', { name: 'the bundle built from sources', value: oursLoad.p50 }, { text: '≤ 1.0×', ratio: 1.0 }),
      // What a user deploys, against what they would deploy with Powertools (issue #15's bundle goal).
      figure('the user-built worker bundle (minified)', installedBytes, 'bytes', 'lower', { name: 'Powertools handler bundle, same SDK clients', value: ptBytes }, { text: '≤ 1.0×', ratio: 1.0 }),
      figure('the user-built worker bundle\'s load time, p50', installedLoad.p50, 'ms', 'lower', { name: 'Powertools handler', value: ptLoad.p50 }, { text: '≤ 1.0×', ratio: 1.0 }),
      // Both sides importing zod as its docs do (`import * as z from 'zod'`): bundlers keep only the zod code used.
      figure('the same, zod imported as a namespace on both sides (minified)', installedZodBytes, 'bytes', 'lower', { name: 'Powertools handler, zod imported as a namespace', value: ptZodBytes }, { text: '≤ 1.0×', ratio: 1.0 }),
      figure('its load time, p50', installedZodLoad.p50, 'ms', 'lower', { name: 'Powertools handler, zod imported as a namespace', value: ptZodLoad.p50 }, { text: '≤ 1.0×', ratio: 1.0 }),
    ],
    details: {
      target: TARGET,
      runs,
      loadMs: { lightbus: oursLoad, powertools: ptLoad },
      loadAndFirstInvocationMs: { lightbus: oursFirst, powertools: ptFirst },
      bundleBytes: { lightbus: oursBytes, lightbusWithOptionalModules: full.sizeBytes, fromInstalledPackage: installedBytes, powertools: ptBytes, powertoolsWithS3: ptS3Bytes },
      sdkClientsLeftOut: leaveOutSdkClients.map((client) => client.packageName),
      loadMsFromInstalledPackage: installedLoad,
      loadAndFirstInvocationMsFromInstalledPackage: installedFirst,
      // Files of the installed package in its bundle: all from the ES-module build (dist/esm).
      installedPackageFiles: files,
      zodNamespace: { bundleBytes: { fromInstalledPackage: installedZodBytes, powertools: ptZodBytes }, loadMs: { fromInstalledPackage: installedZodLoad, powertools: ptZodLoad } },
    },
    notes: [
      'zod imported as a namespace: the installed-package bundle of a copy of the bus module whose API file imports `z` with `import * as z from \'zod\'` (zod 4\'s own style) instead of from lightbus-aws, against the Powertools fixture with the same import. A `z` imported by name (from zod or lightbus-aws) makes esbuild keep all of zod, locales included (~360 kB; LightbusService\'s bundles keep English only, ~190 kB less); a namespace import keeps the functions used. The runtime imports zod as a namespace itself, so the user\'s import decides.',
      'From the installed package: `npm pack` (prepack builds dist/) installed with esbuild into a fresh project, the same bus module (bench/fixtures, importing `lightbus-aws`) bundled by that install\'s bundleWorker with LightbusService\'s defaults; sampled alternately with the other two. It bundles the package\'s ES-module build (dist/esm: the handler entry, and `lightbus-aws` through the `lightbus-esm` export condition bundleWorker passes), which esbuild tree-shakes as it does our sources; the CommonJS build came in whole (1.31× the bytes, 1.96× the load time).',
      `lightbus bundle as LightbusService makes it by default: ajv and yaml (remote JSON Schema validation, YAML config files) and zod's locales other than English left out, and the SNS client for a service with no API on SNS (as here); with all of them it is ${round(full.sizeBytes / 1024, 0)} kB.`,
      'Against Powertools with the S3 client too: the same Powertools fixture plus an S3 client and the two commands the worker sends (GetObject, PutObject). Every lightbus worker handles payloads with S3 (a caller\'s parametersRef, a result too large for its item): its bundle holds the runtime\'s own S3 object client for those two calls (runtime/payloads/s3-lite, ~6 kB, built from the signer, HTTP handler, retry strategy and credential chain the other SDK clients bundle anyway) instead of @aws-sdk/client-s3 (~150 kB with its schemas, XML protocol and checksums), so the first row (same three SDK clients) compares like with like.',
      'Both bundled by esbuild (minified, CommonJS, node20, SDK included as the emulator requires). Load time: require() of the bundle until `handler` exists, in a fresh `node` each time, alternating; Node start-up itself is excluded.',
      'Load + first invocation: the same require(), then one 10-record SQS event of bench.ping deliveries to the no-op listener `counter` (no AWS call on either side), until the handler returns. lightbus loads its SDK client classes and builds its clients on first use, the Powertools handler at load: an RPC worker pays that on its first invocation instead.',
    ],
  };
}
