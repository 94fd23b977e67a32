import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, sep } from 'node:path';
import { ConfigurationError } from '../runtime/errors';
import type { Topology } from '../runtime/topology';
import { sdkClientsLeftOut, substitutesImportedByOthers, writeStandIns, type LeftOutSdkClient } from './left-out-modules';
import { isLiteS3ImportFailure, isLiteS3Substitute, LITE_S3_PACKAGE, writeLiteS3Substitute } from './lite-s3-client';
import { ESM_BUILD_CONDITION, packageFolder, resolvePackageModuleFile } from './package-layout';
import { writeZodWithoutLocales, zodImportersShareRuntimeZod, type EnglishOnlyZod } from './zod-locales';

/** A bus module bundled as a Lambda worker: one directory with `index.js` exporting `handler` (and `index.js.map` with source maps). */
export interface WorkerBundle {
  readonly directory: string;
  readonly handler: string;
  readonly sizeBytes: number;
  /**
   * The files esbuild put into the bundle (its metafile's inputs, relative to the working
   * directory of the synth, `/`-separated): what a bundle holds, for budgets and checks.
   */
  readonly inputs: readonly string[];
}

/** The handler of every worker bundle: `index.js`, export `handler`. */
export const WORKER_HANDLER = 'index.handler';

/** Packages the runtime loads only for an optional feature (see runtime/modules requireOptional). */
export interface OptionalModule {
  /** Package names to leave out of the bundle (with their subpaths). */
  readonly modules: readonly string[];
}

/** The runtime's optional modules, each left out of Lambda bundles unless its prop asks for it. */
export const OPTIONAL_MODULES = {
  /** ajv: validation against JSON Schemas published on the bus (LightbusService bundleJsonSchemaValidator). */
  jsonSchemaValidator: { modules: ['ajv', 'ajv-formats'] },
  /** yaml: YAML configuration files (LightbusService bundleYamlParser). */
  yamlParser: { modules: ['yaml'] },
} as const satisfies Record<string, OptionalModule>;

/** Which optional modules a worker bundle leaves out: all of them unless asked for (LightbusService's default). */
export function optionalModulesLeftOut(include: { readonly jsonSchemaValidator?: boolean; readonly yamlParser?: boolean } = {}): OptionalModule[] {
  return [
    ...(include.jsonSchemaValidator ? [] : [OPTIONAL_MODULES.jsonSchemaValidator]),
    ...(include.yamlParser ? [] : [OPTIONAL_MODULES.yamlParser]),
  ];
}

/** What LightbusService's worker bundles leave out: the optional modules and zod locales not asked for, the SDK clients its topology never uses. */
export function workerBundleLeaveOuts(
  include: { readonly bundleJsonSchemaValidator?: boolean; readonly bundleYamlParser?: boolean; readonly bundleZodLocales?: boolean },
  topology: Pick<Topology, 'topics'>,
): Pick<BundleOptions, 'leaveOut' | 'leaveOutSdkClients' | 'leaveOutZodLocales'> {
  return {
    leaveOut: optionalModulesLeftOut({ jsonSchemaValidator: include.bundleJsonSchemaValidator ?? false, yamlParser: include.bundleYamlParser ?? false }),
    leaveOutSdkClients: sdkClientsLeftOut(topology),
    leaveOutZodLocales: include.bundleZodLocales !== true,
  };
}

export interface BundleOptions {
  readonly minify: boolean;
  /** esbuild's target, e.g. `node24` (see worker-runtime.ts esbuildTargetOf). */
  readonly target: string;
  /**
   * Emit `index.js.map` beside the bundle (linked from it).
   * @default false
   */
  readonly sourceMap?: boolean;
  /**
   * Optional modules to leave out of the bundle: their `require()` fails, with a clear error, only if
   * the feature that needs them is used.
   * @default - none
   */
  readonly leaveOut?: readonly OptionalModule[];
  /**
   * SDK clients the service never uses (see left-out-modules.ts sdkClientsLeftOut): the bundle holds a
   * stand-in that throws ModuleLeftOutError if used. Ignored, the client bundled, when the bus
   * module (or a package of its own) imports the client itself.
   * @default - none
   */
  readonly leaveOutSdkClients?: readonly LeftOutSdkClient[];
  /**
   * Leave zod's locales other than English out (zod-locales.ts): a bus module's `z.locales.xx()`
   * then throws ModuleLeftOutError.
   * @default false
   */
  readonly leaveOutZodLocales?: boolean;
}

/**
 * runtime/transport/aws-clients.ts loads each SDK client class on first use through the package's
 * `main` (dist-cjs). In the bundle that require() goes to the class's own ES module instead: the
 * dist-cjs file is the whole client again, and the package index would keep every command.
 */
export const LAZY_SDK_CLIENT_MODULES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sqs/dist-cjs/index.js': sdkClientModule('@aws-sdk/client-sqs', 'SQSClient'),
  '@aws-sdk/client-eventbridge/dist-cjs/index.js': sdkClientModule('@aws-sdk/client-eventbridge', 'EventBridgeClient'),
  '@aws-sdk/client-dynamodb/dist-cjs/index.js': sdkClientModule('@aws-sdk/client-dynamodb', 'DynamoDBClient'),
  '@aws-sdk/client-sns/dist-cjs/index.js': sdkClientModule('@aws-sdk/client-sns', 'SNSClient'),
  '@aws-sdk/client-s3/dist-cjs/index.js': sdkClientModule('@aws-sdk/client-s3', 'S3Client'),
};

/**
 * The client class's ES module, as an absolute path: esbuild resolves alias targets from the
 * working directory, and synth may run anywhere. Resolved from the runtime, so it is the copy the
 * runtime's static command imports get too.
 */
function sdkClientModule(packageName: string, clientClass: string): string {
  const main = require.resolve(packageName, { paths: [packageFolder('runtime/transport')] });
  return join(dirname(main), '..', 'dist-es', `${clientClass}.js`);
}

/** An SDK client package's ES-module index: what `import { XClient } from '@aws-sdk/client-x'` reaches. */
const SDK_CLIENT_INDEX = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]index\.js$/;

/**
 * Whether a module of the user's (not the SDK's, not ours) statically imports the index of an SDK
 * client that the runtime loads lazily (LAZY_SDK_CLIENT_MODULES). Our own runtime imports commands
 * statically too, but only uses them once it has loaded the client.
 */
function importsLazyClientItself(metafile: import('esbuild').Metafile, handlersEntry: string): boolean {
  const ours = ourFolders(handlersEntry);
  const lazyPackages = Object.keys(LAZY_SDK_CLIENT_MODULES).map((key) => key.split('/dist-cjs/')[0]!);
  return Object.entries(metafile.inputs).some(([input, { imports }]) => {
    const file = resolve(input);
    if (file.includes(`${sep}node_modules${sep}@aws-sdk${sep}`) || file.includes(`${sep}node_modules${sep}@smithy${sep}`)) return false;
    if (ours.some((folder) => file.startsWith(folder))) return false;
    return imports.some(
      (imported) =>
        imported.kind === 'import-statement' && SDK_CLIENT_INDEX.test(resolve(imported.path)) && lazyPackages.some((name) => resolve(imported.path).includes(name.replace('/', sep))),
    );
  });
}

/** The folders of our modules in a bundle, with a trailing separator. */
function ourFolders(handlersEntry: string): string[] {
  // Installed: the ES-module build (dist/esm); in a checkout: the runtime's and handlers' sources.
  return (handlersEntry.endsWith('.ts') ? [packageFolder('runtime'), packageFolder('handlers')] : [dirname(dirname(handlersEntry))]).map((folder) => folder + sep);
}

/** Our folders that must never reach a Lambda bundle (aws-cdk-lib comes in through them). */
const FORBIDDEN_INPUTS = [`${sep}node_modules${sep}aws-cdk-lib${sep}`, `${sep}node_modules${sep}constructs${sep}`];

/**
 * Bundles live in the temp folder under a name derived from their content: a synth reuses an
 * identical earlier bundle, and repeated synths (tests, watch mode) leave one folder per distinct
 * bundle instead of one per run. (CDK copies the asset into the cloud assembly either way.)
 */
const BUNDLE_CACHE = join(tmpdir(), 'lightbus-bundles');

/** Moves a freshly built bundle to its content-addressed folder (atomic rename; concurrent synths agree). */
function settle(building: string): string {
  const hash = createHash('sha256').update(readFileSync(join(building, 'index.js'))).digest('hex').slice(0, 20);
  const directory = join(BUNDLE_CACHE, hash);
  if (existsSync(directory)) {
    rmSync(building, { recursive: true, force: true });
    return directory;
  }
  try {
    renameSync(building, directory);
  } catch (error) {
    // Another process settled the same bundle first: use theirs.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(directory)) throw error;
  }
  return directory;
}

/**
 * Files written for one build that stand in for packages or parts of them (each an alias target):
 * left-out clients' stand-ins (left-out-modules.ts), the lite S3 client in place of the S3 package
 * (lite-s3-client.ts), and the English-only zod (zod-locales.ts).
 */
interface Substitutes {
  /** Package name (or lazy load path) → file, for stand-ins and the lite S3 client. */
  readonly packages: Readonly<Record<string, string>>;
  readonly englishOnlyZod: EnglishOnlyZod | undefined;
}

function writeSubstitutes(directory: string, leftOutClients: readonly LeftOutSdkClient[], englishOnly: boolean): Substitutes {
  const errorModule = resolvePackageModuleFile('runtime/modules/index');
  const standIns = writeStandIns(leftOutClients, Object.keys(LAZY_SDK_CLIENT_MODULES), errorModule, directory);
  const liteS3 =
    standIns[LITE_S3_PACKAGE] === undefined
      ? writeLiteS3Substitute(
          directory,
          { commands: resolvePackageModuleFile('runtime/payloads/s3-lite/commands'), client: resolvePackageModuleFile('runtime/payloads/s3-lite/client') },
          Object.keys(LAZY_SDK_CLIENT_MODULES),
        )
      : {};
  return { packages: { ...liteS3, ...standIns }, englishOnlyZod: englishOnly ? writeZodWithoutLocales(directory, errorModule) : undefined };
}

function aliasesOf(substitutes: Substitutes): Record<string, string> {
  return { ...LAZY_SDK_CLIENT_MODULES, ...substitutes.packages, ...substitutes.englishOnlyZod?.aliases };
}

/**
 * Builds with the substitutes, then without those the bundle must not take: the lite S3 client when
 * the bus module imports other names of the S3 package (that build fails), a stand-in or substitute a
 * module of the user's imports (it uses the package itself), the English-only zod when a module
 * of the user's has a zod install of its own. Returns the metafile of the build kept.
 */
function buildWithSubstitutes(
  esbuild: typeof import('esbuild'),
  buildOptions: import('esbuild').BuildOptions & { metafile: true },
  substitutes: Substitutes,
  handlersEntry: string,
): import('esbuild').Metafile {
  let active = substitutes;
  const build = (extra: { ignoreAnnotations?: boolean } = {}) => esbuild.buildSync({ ...buildOptions, alias: aliasesOf(active), ...extra }).metafile;
  let metafile: import('esbuild').Metafile;
  try {
    metafile = build();
  } catch (error) {
    if (!isLiteS3ImportFailure(error)) throw error;
    active = { ...active, packages: Object.fromEntries(Object.entries(active.packages).filter(([, file]) => !isLiteS3Substitute(file))) };
    metafile = build();
  }
  const importedByOthers = substitutesImportedByOthers(metafile, Object.values(active.packages), ourFolders(handlersEntry));
  // The lite S3 client's substitutes go together: the runtime's commands and client must be one package's.
  if ([...importedByOthers].some(isLiteS3Substitute)) for (const file of Object.values(active.packages).filter(isLiteS3Substitute)) importedByOthers.add(resolve(file));
  const keepZod = active.englishOnlyZod !== undefined && !zodImportersShareRuntimeZod(metafile, active.englishOnlyZod);
  if (importedByOthers.size > 0 || keepZod) {
    active = {
      packages: Object.fromEntries(Object.entries(active.packages).filter(([, file]) => !importedByOthers.has(resolve(file)))),
      englishOnlyZod: keepZod ? undefined : active.englishOnlyZod,
    };
    metafile = build();
  }
  // A bus module that imports a lazily loaded SDK client itself (its own DynamoDB table, say) needs
  // the client's initialiser kept: with the SDK's `sideEffects: false` esbuild drops it from that
  // import, and the class is undefined there until the runtime first loads it. Ignoring the
  // annotations keeps it, at some bundle size, so only such bundles are built again that way.
  return importsLazyClientItself(metafile, handlersEntry) ? build({ ignoreAnnotations: true }) : metafile;
}

const bundles = new Map<string, WorkerBundle>();

/**
 * Bundles a bus module with the Lambda handler once (esbuild), AWS SDK included: the emulator's
 * Lambda executor has no SDK of its own, and a bundled SDK pins the version we tested. All of a
 * service's functions share the bundle; a second service of the same module in the same synth
 * reuses it.
 */
export function bundleWorker(modulePath: string, options: BundleOptions): WorkerBundle {
  const leftOutClients = options.leaveOutSdkClients ?? [];
  const key = JSON.stringify([
    modulePath,
    options.minify,
    options.target,
    options.sourceMap ?? false,
    (options.leaveOut ?? []).map((o) => o.modules),
    leftOutClients.map((c) => c.packageName),
    options.leaveOutZodLocales ?? false,
  ]);
  const cached = bundles.get(key);
  if (cached) return cached;
  let esbuild: typeof import('esbuild');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require('esbuild') as typeof import('esbuild');
  } catch {
    throw new ConfigurationError('LightbusService bundles the bus module with esbuild at synth time: install it (npm install --save-dev esbuild).');
  }
  // Built into a fresh directory, then moved to one named after the bundle's content (below).
  mkdirSync(BUNDLE_CACHE, { recursive: true });
  const building = mkdtempSync(join(BUNDLE_CACHE, 'building-'));
  const substitutesDirectory = mkdtempSync(join(BUNDLE_CACHE, 'substitutes-'));
  const substitutes = writeSubstitutes(substitutesDirectory, leftOutClients, options.leaveOutZodLocales === true);
  // Our sources in a checkout, the ES-module build in the installed package: esbuild tree-shakes
  // both alike (package-layout.ts), and the bus module's `lightbus-aws` import reaches the same files.
  const handlersEntry = resolvePackageModuleFile('handlers/index');
  const buildOptions = {
    stdin: {
      contents:
        `import * as busModule from ${JSON.stringify(modulePath)};\n` +
        `import { createWorkerHandlerForModule } from ${JSON.stringify(handlersEntry)};\n` +
        'export const handler = createWorkerHandlerForModule(busModule);\n',
      resolveDir: dirname(modulePath),
      sourcefile: 'lightbus-worker-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: options.target,
    outfile: join(building, 'index.js'),
    minify: options.minify,
    sourcemap: options.sourceMap ?? false,
    // Error classes name themselves after their class (`new.target.name`): keep the names.
    keepNames: true,
    mainFields: ['module', 'main'],
    // lightbus-aws's `exports` give its ES-module build (dist/esm) only under its own condition
    // (package-layout.ts). Custom conditions replace esbuild's default `module`: kept for other packages.
    conditions: [ESM_BUILD_CONDITION, 'module'],
    // The client classes' own modules; substitutes replace packages or parts of them (see Substitutes).
    alias: aliasesOf(substitutes),
    legalComments: 'none',
    // Non-ASCII text (zod's error-message locales, most of it) as UTF-8, not `\uXXXX` escapes of 6
    // bytes a character: ~70 kB less to ship and to read at cold start. Node reads the file as UTF-8.
    charset: 'utf8',
    metafile: true,
    logLevel: 'silent',
    // Left-out modules stay `require()`s that fail at run time, if their feature is ever used, with
    // OptionalModuleMissingError (runtime/modules) naming the prop that bundles them.
    external: (options.leaveOut ?? []).flatMap((optional) => optional.modules.flatMap((name) => [name, `${name}/*`])),
  } satisfies import('esbuild').BuildOptions;
  let result: import('esbuild').Metafile;
  try {
    result = buildWithSubstitutes(esbuild, buildOptions, substitutes, handlersEntry);
  } finally {
    rmSync(substitutesDirectory, { recursive: true, force: true });
  }
  const forbidden = Object.keys(result.inputs).filter((input) => FORBIDDEN_INPUTS.some((f) => `${sep}${input}`.includes(f)));
  if (forbidden.length > 0) {
    rmSync(building, { recursive: true, force: true });
    throw new ConfigurationError(
      `The bus module ${modulePath} pulls CDK code into the Lambda bundle (${forbidden.slice(0, 3).join(', ')}). ` +
        'A bus module must not import aws-cdk-lib or constructs; keep CDK code in the app.',
      { path: modulePath },
    );
  }
  const directory = settle(building);
  const bundle = { directory, handler: WORKER_HANDLER, sizeBytes: statSync(join(directory, 'index.js')).size, inputs: Object.keys(result.inputs) };
  bundles.set(key, bundle);
  return bundle;
}
