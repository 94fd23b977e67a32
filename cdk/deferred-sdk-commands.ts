import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageFolder } from './package-layout';

/**
 * SDK commands the runtime imports statically but sends only on a rare path, whose modules a worker
 * bundle evaluates on first use instead of at load. The S3 commands (runtime/payloads: a payload
 * too large for its message) bring the S3 schemas and their registry (~110 kB evaluated): ~15 ms of
 * a cold start, for a client most workers never build. In the bundle the package's import reaches
 * a module of stand-in classes whose constructor builds the real command, loaded then. It exports
 * nothing else (an `export *` of the package would bring its every command back): a bus module
 * that imports the package itself fails that build, and bundle.ts builds again without deferring.
 */
export const DEFERRED_SDK_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  '@aws-sdk/client-s3': ['GetObjectCommand', 'PutObjectCommand'],
};

/** How a deferring module's file name ends. */
export const DEFERRING_SUFFIX = '.deferred-commands.js';

/** The deferring module's file name: what WorkerBundle.inputs shows beside the commands' own files. */
export function deferringFileName(packageName: string): string {
  return `${packageName.replace(/^@/, '').replace(/\//g, '+')}${DEFERRING_SUFFIX}`;
}

/** The package's ES-module folder (dist-es), resolved from the runtime as the client classes are (bundle.ts). */
function esModuleFolder(packageName: string): string {
  const main = require.resolve(packageName, { paths: [packageFolder('runtime/payloads')] });
  return join(dirname(main), '..', 'dist-es');
}

/**
 * One stand-in class per command: `new GetObjectCommand(input)` returns the real command, its
 * module required (and so evaluated) the first time. esbuild bundles the require()d modules
 * wrapped in lazy initialisers.
 */
function deferringSource(packageName: string, commands: readonly string[]): string {
  const folder = esModuleFolder(packageName);
  return [
    `// ${packageName}'s commands, evaluated on first use (cdk/deferred-sdk-commands.ts).`,
    ...commands.map(
      (name) =>
        `export class ${name} { constructor(input) { const { ${name}: Command } = require(${JSON.stringify(join(folder, 'commands', `${name}.js`))}); return new Command(input); } }`,
    ),
    '',
  ].join('\n');
}

/** Whether an esbuild failure is a module of the user's asking a deferring module for a name it does not have. */
export function isDeferredImportFailure(error: unknown): boolean {
  const errors = (error as { errors?: readonly { text?: string; location?: { file?: string } | null }[] }).errors ?? [];
  return errors.some((e) => e.text?.includes(DEFERRING_SUFFIX) === true);
}

/** Writes each deferring module into `directory` and returns the esbuild aliases that send the packages there. */
export function writeDeferredCommands(directory: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [packageName, commands] of Object.entries(DEFERRED_SDK_COMMANDS)) {
    const file = join(directory, deferringFileName(packageName));
    writeFileSync(file, deferringSource(packageName, commands));
    aliases[packageName] = file;
  }
  return aliases;
}
