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
 * tsconfig.build.esm.json), beside the CommonJS build: what the {@link ESM_BUILD_CONDITION} of the
 * package's `exports` gives a bundler that asks for it.
 */
const ESM_BUILD = join(PACKAGE_ROOT, 'esm');

/**
 * The custom export condition under which package.json's `exports` give `.`, `./handlers` and
 * `./testing` as the ES-module build (dist/esm), for esbuild to tree-shake. Custom, not the
 * `module` condition every bundler sets: dist/esm keeps lazy loads as literal `require()` calls,
 * which esbuild bundles but webpack, Rollup and Vite leave to fail at run time in an ES module, and
 * `./local` and `./cdk` have no ES-module build (a bundle taking both builds would hold two copies
 * of the runtime). Without the condition every bundler and Node get the CommonJS build. Passed by
 * bundleWorker; docs/deployment.md says how a user's own esbuild call opts in.
 */
export const ESM_BUILD_CONDITION = 'lightbus-esm';

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
 * resolves to the same ES-module build through {@link ESM_BUILD_CONDITION} (bundleWorker passes
 * it), so the handler and the bus module share one copy of the runtime.
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
