import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The S3 package, which worker bundles replace by the runtime's own small S3 object client
 * (runtime/payloads/s3-lite). The runtime uses S3 only for payloads too large for their message
 * (runtime/payloads/store.ts: GetObject of a reference, PutObject of a large result or fire), and
 * @aws-sdk/client-s3 brings ~150 kB of schemas, XML protocol and checksum code into every worker
 * bundle for those two calls. The lite client is built from the SDK pieces the other clients
 * bundle anyway (signer, HTTP handler, retry strategy, credential and region chains).
 */
export const LITE_S3_PACKAGE = '@aws-sdk/client-s3';

/** How the substitute modules' file names end: bundle.ts drops them together, when a build fails on one or a module of the user's imports one. */
export const LITE_S3_SUFFIX = '.lite-s3.js';

/**
 * The substitute for the package's index, which the runtime imports statically for the two commands
 * (store.ts): what WorkerBundle.inputs shows instead of the package's files.
 */
export function liteS3FileName(): string {
  return `${LITE_S3_PACKAGE.replace(/^@/, '').replace(/\//g, '+')}${LITE_S3_SUFFIX}`;
}

/** The substitute for the client class's lazy load (aws-clients.ts): the client and the SDK pieces it uses, evaluated on first use. */
function liteS3ClientFileName(): string {
  return liteS3FileName().replace(LITE_S3_SUFFIX, `+client${LITE_S3_SUFFIX}`);
}

/**
 * Whether an esbuild failure is a module of the user's asking the substitute for a name it does not
 * have (another S3 command): the bus module uses S3 itself, and the bundle needs the real package.
 */
export function isLiteS3ImportFailure(error: unknown): boolean {
  const errors = (error as { errors?: readonly { text?: string }[] }).errors ?? [];
  return errors.some((e) => e.text?.includes(LITE_S3_SUFFIX) === true);
}

/** Whether a substitute file is one of the lite S3 client's: they are kept or dropped together. */
export function isLiteS3Substitute(file: string): boolean {
  return file.endsWith(LITE_S3_SUFFIX);
}

/** The runtime's modules the substitutes re-export (our sources in a checkout, dist/esm when installed). */
export interface LiteS3Modules {
  /** runtime/payloads/s3-lite/commands: GetObjectCommand, PutObjectCommand, nothing to evaluate. */
  readonly commands: string;
  /** runtime/payloads/s3-lite/client: S3ObjectClient. */
  readonly client: string;
}

/**
 * Writes the substitutes into `directory` and returns the esbuild aliases that send the package
 * there: its index to the commands (the runtime's static import), and each of `lazyPaths` of it to
 * the client class (its lazy load, bundle.ts LAZY_SDK_CLIENT_MODULES), so that the client and the SDK
 * pieces it is built from stay out of the bundle's load, as the SDK clients do. Nothing else is
 * exported: a bus module that imports another name of the package fails that build, and bundle.ts
 * builds again with the real package.
 */
export function writeLiteS3Substitute(directory: string, modules: LiteS3Modules, lazyPaths: readonly string[]): Record<string, string> {
  const header = `// ${LITE_S3_PACKAGE} in this worker bundle: the runtime's S3 object client (cdk/lite-s3-client.ts).`;
  const index = join(directory, liteS3FileName());
  writeFileSync(index, [header, `export { GetObjectCommand, PutObjectCommand } from ${JSON.stringify(modules.commands)};`, ''].join('\n'));
  const client = join(directory, liteS3ClientFileName());
  writeFileSync(client, [header, `export { S3ObjectClient as S3Client } from ${JSON.stringify(modules.client)};`, ''].join('\n'));
  const aliases: Record<string, string> = { [LITE_S3_PACKAGE]: index };
  for (const path of lazyPaths.filter((p) => p.startsWith(`${LITE_S3_PACKAGE}/`))) aliases[path] = client;
  return aliases;
}
