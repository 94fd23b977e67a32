import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../runtime/errors';

/**
 * This package's own folders and files, wherever it runs from. `cdk/`, `handlers/` and `runtime/`
 * are siblings both in a source checkout (TypeScript, run by jest or tsx) and in the compiled,
 * installed package (`node_modules/lightbus-aws/dist/{cdk,handlers,runtime}/*.js`, with `.d.ts`
 * beside them), so a path relative to this folder's parent is right in both; only the extension
 * differs.
 */
const PACKAGE_ROOT = join(__dirname, '..');

/**
 * The compiled package's ES-module build of `runtime/` and `handlers/` (dist/esm, made by
 * tsconfig.build.esm.json), beside the CommonJS build: what the `module` condition of the
 * package's `exports` gives bundlers.
 */
const ESM_BUILD = join(PACKAGE_ROOT, 'esm');

/** An absolute path to one of this package's folders, e.g. `runtime/transport`. */
export function packageFolder(relativePath: string): string {
  return join(PACKAGE_ROOT, relativePath);
}

/**
 * The module file of ours that a bundle starts from, at `relativePath` (no extension, e.g.
 * `handlers/index`): the `.ts` file in a source checkout; in the compiled package, the ES-module
 * build's `.js` file (`dist/esm/handlers/index.js`), never the CommonJS one. esbuild tree-shakes ES
 * modules only (a CommonJS module comes in whole, with everything it requires: zod's CommonJS
 * build and the SDK clients' every command), and a bus module's `import ... from 'lightbus-aws'`
 * resolves to the same ES-module build through that `module` condition, so the handler and the
 * bus module share one copy of the runtime.
 */
export function resolvePackageModuleFile(relativePath: string): string {
  const candidates = [join(PACKAGE_ROOT, `${relativePath}.ts`), join(ESM_BUILD, `${relativePath}.js`)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found !== undefined) return found;
  throw new ConfigurationError(
    `lightbus-aws is missing its own module ${relativePath}: found neither ${candidates.join(' nor ')}. ` +
      'Reinstall the package (its cdk/, handlers/, runtime/ and esm/ folders must sit side by side).',
    { path: join(PACKAGE_ROOT, relativePath) },
  );
}
