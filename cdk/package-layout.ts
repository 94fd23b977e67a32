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

/** Extensions of a module file of ours, sources first (a checkout compiled in place has both). */
const MODULE_EXTENSIONS = ['.ts', '.js'] as const;

/** An absolute path to one of this package's folders, e.g. `runtime/transport`. */
export function packageFolder(relativePath: string): string {
  return join(PACKAGE_ROOT, relativePath);
}

/**
 * The module file of ours at `relativePath` (no extension, e.g. `handlers/index`): the `.ts` file
 * in a source checkout, the `.js` file in the compiled package. (`.d.ts` files never match.)
 */
export function resolvePackageModuleFile(relativePath: string): string {
  const base = join(PACKAGE_ROOT, relativePath);
  for (const extension of MODULE_EXTENSIONS) {
    if (existsSync(base + extension)) return base + extension;
  }
  throw new ConfigurationError(
    `lightbus-aws is missing its own module ${relativePath}: found neither ${MODULE_EXTENSIONS.map((e) => base + e).join(' nor ')}. ` +
      'Reinstall the package (its cdk/, handlers/ and runtime/ folders must sit side by side).',
    { path: base },
  );
}
