import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { packageFolder } from './package-layout';

/**
 * zod's error-message locales other than English, left out of a worker bundle unless asked for
 * (LightbusService `bundleZodLocales`). A `z` imported by name (`import { z } from 'lightbus-aws'`,
 * or from 'zod') is a namespace object that holds `z.locales` and `z.core.locales`: esbuild keeps
 * every locale (~200 kB, a sixth of a worker bundle) although zod uses English unless told
 * otherwise (`z.config(z.locales.fr())`). The bundle's `zod` is a copy of zod's own index whose
 * `locales` keep `en` and hold, for every other locale, a function that throws
 * ModuleLeftOutError; the schemas, checks and errors are zod's own modules.
 */
export const ZOD_LOCALES_REASON =
  "zod's locales other than English are left out of worker bundles unless asked for (LightbusService bundleZodLocales: true).";

/** The parts of the zod install the runtime imports (resolved from the runtime, like the SDK). */
function zodInstall(): { readonly main: string; readonly root: string; readonly exports: Record<string, unknown> } {
  const main = require.resolve('zod', { paths: [packageFolder('runtime')] });
  const root = dirname(main);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  return { main, root, exports: manifest.exports };
}

/** The English-only zod of a bundle: the aliases that bring it in, and its two files. */
export interface EnglishOnlyZod {
  readonly aliases: Record<string, string>;
  readonly files: readonly string[];
  /** The zod the runtime resolves (its `main`): the one the copy stands for. */
  readonly zodMain: string;
}

/** The names a module exports (its CommonJS build's keys: zod ships both builds from one source). */
function exportedNames(file: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Object.keys(require(file) as Record<string, unknown>).filter((name) => name !== '__esModule' && name !== 'default');
}

/** `locales` with English kept and every other locale a function that throws ModuleLeftOutError. */
function localesSource(root: string, names: readonly string[], errorModule: string): string[] {
  return [
    `import { ModuleLeftOutError } from ${JSON.stringify(errorModule)};`,
    `import en from ${JSON.stringify(join(root, 'v4', 'locales', 'en.js'))};`,
    `const leftOut = (name) => () => { throw new ModuleLeftOutError("zod", "z.locales." + name, ${JSON.stringify(ZOD_LOCALES_REASON)}); };`,
    `export const locales = Object.freeze({ ${names.map((name) => (name === 'en' ? 'en' : `${name}: leftOut(${JSON.stringify(name)})`)).join(', ')} });`,
  ];
}

/**
 * Writes the English-only copies of zod's index and of its `core` namespace into `directory`, and
 * returns the esbuild aliases: `zod` to the copy, and each of zod's other entry points (`zod/v4`,
 * `zod/v4/core`, …) to its own file, so that a module importing one of those gets it whole, as before.
 */
export function writeZodWithoutLocales(directory: string, errorModule: string): EnglishOnlyZod | undefined {
  const { main, root, exports } = zodInstall();
  const core = join(root, 'v4', 'core', 'index.js');
  const classic = join(root, 'v4', 'classic', 'external.js');
  const layout = [core, classic, join(root, 'index.cjs'), join(root, 'v4', 'core', 'index.cjs'), join(root, 'v4', 'locales', 'index.cjs'), join(root, 'v4', 'locales', 'en.js')];
  // A zod laid out otherwise (another major version) is bundled as it is, every locale with it.
  if (!layout.every((file) => existsSync(file))) return undefined;
  const localeNames = exportedNames(join(root, 'v4', 'locales', 'index.cjs'));
  const coreFile = join(directory, 'zod-core.english-only.js');
  const indexFile = join(directory, 'zod.english-only.js');
  writeFileSync(
    coreFile,
    [
      `export { ${exportedNames(join(root, 'v4', 'core', 'index.cjs')).filter((n) => n !== 'locales').join(', ')} } from ${JSON.stringify(core)};`,
      ...localesSource(root, localeNames, errorModule),
      '',
    ].join('\n'),
  );
  writeFileSync(
    indexFile,
    [
      `import * as z from ${JSON.stringify(indexFile)};`,
      `export { ${exportedNames(join(root, 'index.cjs')).filter((n) => !['z', 'core', 'locales'].includes(n)).join(', ')} } from ${JSON.stringify(classic)};`,
      `export * as core from ${JSON.stringify(coreFile)};`,
      `export { locales } from ${JSON.stringify(coreFile)};`,
      'export { z, z as default };',
      '',
    ].join('\n'),
  );
  const aliases: Record<string, string> = { zod: indexFile };
  const importTarget = (target: unknown) => (typeof target === 'string' ? target : (target as { import?: string }).import);
  for (const [subpath, target] of Object.entries(exports)) {
    const file = importTarget(target);
    if (subpath === '.' || subpath.includes('*') || file === undefined) continue;
    aliases[`zod/${subpath.slice(2)}`] = join(root, file);
  }
  // `./v4/locales/*`: the folder, so that `zod/v4/locales/fr.js` (or `fr`) resolves in it.
  for (const [subpath, target] of Object.entries(exports)) {
    const file = importTarget(target);
    if (!subpath.endsWith('/*') || file === undefined || !file.endsWith('/*')) continue;
    aliases[`zod/${subpath.slice(2, -2)}`] = join(root, file.slice(0, -2));
  }
  return { aliases, files: [indexFile, coreFile], zodMain: main };
}

/**
 * Whether every module that imports `zod` in the bundle would get the runtime's zod without the
 * alias. A bus module (or a package of its) with a zod of its own, another version say, must keep
 * it: the alias sends every `zod` import to the runtime's copy.
 */
export function zodImportersShareRuntimeZod(metafile: Metafile, zod: EnglishOnlyZod): boolean {
  const copies = new Set(zod.files.map((file) => resolve(file)));
  return Object.entries(metafile.inputs).every(([input, { imports }]) => {
    const file = resolve(input);
    if (copies.has(file) || !imports.some((imported) => imported.original === 'zod')) return true;
    try {
      return require.resolve('zod', { paths: [dirname(file)] }) === zod.zodMain;
    } catch {
      return false;
    }
  });
}
