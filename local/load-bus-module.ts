import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { busFromModule, type BusClient } from '../runtime/client';
import { ConfigurationError } from '../runtime/errors';

const DEFAULT_CANDIDATES = ['bus.ts', 'bus.js', 'bus.mts', 'bus.mjs', 'bus.cts', 'bus.cjs'];

/** `--bus` > LIGHTBUS_MODULE > ./bus.ts or ./bus.js in the working directory. */
export function resolveBusModulePath(given: string | undefined, cwd = process.cwd(), env = process.env): string {
  const explicit = given ?? env.LIGHTBUS_MODULE;
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new ConfigurationError(`The bus module ${path} does not exist (from ${given ? '--bus' : 'LIGHTBUS_MODULE'}).`, {
        path,
      });
    }
    return path;
  }
  for (const candidate of DEFAULT_CANDIDATES) {
    const path = resolve(cwd, candidate);
    if (existsSync(path)) return path;
  }
  throw new ConfigurationError(
    `No bus module found: looked for ${DEFAULT_CANDIDATES.join(', ')} in ${cwd}. Pass --bus PATH or set LIGHTBUS_MODULE.`,
  );
}

let typescriptLoaderRegistered = false;

/**
 * Lets require() load TypeScript bus modules (tsx's esbuild-based loader). tsx is an optional peer
 * dependency: `.js`/`.cjs` modules (and `.mjs` on Node >= 22.12) load without it. Returns a hint
 * for the load error when a TypeScript module has no tsx to load it (Node's own type stripping may
 * still manage a simple one).
 */
function registerTypeScriptLoader(path: string): string {
  if (typescriptLoaderRegistered || process.env.JEST_WORKER_ID !== undefined) return '';
  let tsx: { register: () => void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tsx = require('tsx/cjs/api') as { register: () => void };
  } catch {
    if (!/\.[cm]?ts$/.test(path)) return '';
    return ' TypeScript bus modules need tsx to load: install it (npm install --save-dev tsx), or compile the module and pass the .js file.';
  }
  tsx.register();
  typescriptLoaderRegistered = true;
  return '';
}

/** Imports a bus module and returns its `bus` export, with errors that say what was wrong. */
export function loadBusModule(path: string): BusClient {
  const hint = registerTypeScriptLoader(path);
  let exported: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(path) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigurationError(`Could not load the bus module ${path}: ${(error as Error).message}${hint}`, { path });
  }
  return busFromModule(exported, `The bus module ${path}`);
}
