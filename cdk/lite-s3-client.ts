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

/** The names the runtime takes from the package: its commands (store.ts) and its client class (aws-clients.ts). */
export const LITE_S3_EXPORTS = ['S3Client', 'GetObjectCommand', 'PutObjectCommand'] as const;

/** How the substitute module's file name ends: bundle.ts drops the substitute when a build fails on it. */
export const LITE_S3_SUFFIX = '.lite-s3.js';

/** The substitute module's file name: what WorkerBundle.inputs shows instead of the package's files. */
export function liteS3FileName(): string {
  return `${LITE_S3_PACKAGE.replace(/^@/, '').replace(/\//g, '+')}${LITE_S3_SUFFIX}`;
}

/**
 * Whether an esbuild failure is a module of the user's asking the substitute for a name it does not
 * have (another S3 command): the bus module uses S3 itself, and the bundle needs the real package.
 */
export function isLiteS3ImportFailure(error: unknown): boolean {
  const errors = (error as { errors?: readonly { text?: string }[] }).errors ?? [];
  return errors.some((e) => e.text?.includes(LITE_S3_SUFFIX) === true);
}

/**
 * Writes the substitute into `directory`: it re-exports the lite client (`liteModule`, the runtime's
 * s3-lite index the rest of the bundle uses: our sources in a checkout, dist/esm when installed)
 * under the package's names. Returns the esbuild aliases that send the package there: its index
 * (the commands) and each of `lazyPaths` of it (the client class's lazy load, bundle.ts
 * LAZY_SDK_CLIENT_MODULES). Nothing else is exported: a bus module that imports another name of the
 * package fails that build, and bundle.ts builds again with the real package.
 */
export function writeLiteS3Substitute(directory: string, liteModule: string, lazyPaths: readonly string[]): Record<string, string> {
  const file = join(directory, liteS3FileName());
  writeFileSync(
    file,
    [
      `// ${LITE_S3_PACKAGE} in this worker bundle: the runtime's S3 object client (cdk/lite-s3-client.ts).`,
      `export { S3ObjectClient as S3Client, GetObjectCommand, PutObjectCommand } from ${JSON.stringify(liteModule)};`,
      '',
    ].join('\n'),
  );
  const aliases: Record<string, string> = { [LITE_S3_PACKAGE]: file };
  for (const path of lazyPaths.filter((p) => p.startsWith(`${LITE_S3_PACKAGE}/`))) aliases[path] = file;
  return aliases;
}
