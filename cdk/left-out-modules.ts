import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import type { Topology } from '../runtime/topology';

/**
 * An SDK client the runtime imports statically (its commands) and loads on first use (its client
 * class), which a service may never use. A worker bundle that leaves it out holds a stand-in
 * instead: each name the runtime imports becomes a class whose constructor throws
 * ModuleLeftOutError (runtime/modules), so the bundle loads and only the unexpected use fails.
 * (ajv and yaml are left out as failing require()s instead, see OPTIONAL_MODULES: the runtime
 * loads them only through requireOptional; a static import of a missing package would fail at load.)
 */
export interface LeftOutSdkClient {
  /** The package, e.g. `@aws-sdk/client-sns`: its index and its lazily loaded client class (bundle.ts LAZY_SDK_CLIENT_MODULES). */
  readonly packageName: string;
  /** What the runtime imports from it. The bundle does not build if the runtime imports another name. */
  readonly exports: readonly string[];
  /** Why a bundle can do without it, and what to change if it cannot: the end of the error's message. */
  readonly reason: string;
}

/**
 * The SNS client: the runtime uses it only to publish the events of a registered API on
 * `transports.event: sns` / `sns-fifo` (a service fires only its registered APIs' events, and its
 * worker is granted sns:Publish only on those topics). Events from another service's topic reach a
 * listener through its queue (raw delivery): no SNS call.
 */
export const SNS_CLIENT_LEFT_OUT: LeftOutSdkClient = {
  packageName: '@aws-sdk/client-sns',
  exports: ['SNSClient', 'PublishBatchCommand', 'ListTopicsCommand'],
  reason:
    "at synth, none of the APIs its bus module registers had its events on SNS (apis.<api>.transports.event 'sns' or 'sns-fifo'), " +
    'so the service has no topic to publish to and no sns:Publish grant. Set the transport where the synth sees it ' +
    "(the bus module's lightbus.create() or its configuration file), so that the construct creates the topic and bundles the client.",
};

/** The SDK clients a service's worker bundle leaves out, from its topology as loaded at synth. */
export function sdkClientsLeftOut(topology: Pick<Topology, 'topics'>): LeftOutSdkClient[] {
  return topology.topics.length === 0 ? [SNS_CLIENT_LEFT_OUT] : [];
}

/** The stand-in module's source: one throwing class per imported name, the error from the runtime the bundle holds. */
function standInSource(client: LeftOutSdkClient, errorModule: string): string {
  return [
    `// ${client.packageName}, left out of this worker bundle by LightbusService (cdk/left-out-modules.ts).`,
    `import { ModuleLeftOutError } from ${JSON.stringify(errorModule)};`,
    `const leftOut = (name) => class { constructor() { throw new ModuleLeftOutError(${JSON.stringify(client.packageName)}, name, ${JSON.stringify(client.reason)}); } };`,
    ...client.exports.map((name) => `export const ${name} = /* @__PURE__ */ leftOut(${JSON.stringify(name)});`),
    '',
  ].join('\n');
}

/** The stand-in's file name: what WorkerBundle.inputs shows instead of the package's files. */
export function standInFileName(packageName: string): string {
  return `${packageName.replace(/^@/, '').replace(/\//g, '+')}.left-out.js`;
}

/**
 * Writes each left-out client's stand-in into `directory` and returns the esbuild aliases that send
 * the package there: its index (the commands the runtime imports) and each of `lazyPaths` of it
 * (the lazy class load, see bundle.ts LAZY_SDK_CLIENT_MODULES). `errorModule` is the runtime's
 * modules/index file the rest of the bundle uses, so the error is the runtime's own class. (esbuild
 * plugins would do it without files, but bundleWorker builds synchronously, which takes no plugins.)
 */
export function writeStandIns(clients: readonly LeftOutSdkClient[], lazyPaths: readonly string[], errorModule: string, directory: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const client of clients) {
    const file = join(directory, standInFileName(client.packageName));
    writeFileSync(file, standInSource(client, errorModule));
    aliases[client.packageName] = file;
    for (const path of lazyPaths.filter((p) => p.startsWith(`${client.packageName}/`))) aliases[path] = file;
  }
  return aliases;
}

/**
 * Which of `substitutes` (stand-ins, the lite S3 client: files bundleWorker writes in place of a
 * package) a module other than ours imports: the bus module, or a package of the user's, uses that
 * package itself, so the bundle must hold the real one.
 */
export function substitutesImportedByOthers(metafile: Metafile, substitutes: readonly string[], ourFolders: readonly string[]): Set<string> {
  const files = new Set(substitutes.map((file) => resolve(file)));
  const imported = new Set<string>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    const file = resolve(input);
    if (files.has(file) || ourFolders.some((folder) => file.startsWith(folder))) continue;
    for (const { path } of imports) if (files.has(resolve(path))) imported.add(resolve(path));
  }
  return imported;
}
