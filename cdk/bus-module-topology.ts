import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { busFromModule } from '../runtime/client';
import { ClientEnvironment } from '../runtime/config';
import { ConfigurationError } from '../runtime/errors';
import { registeredApis, schemaContentHash, type SchemaSource } from '../runtime/schema';
import { callerScopeOf, type Topology } from '../runtime/topology';

let typescriptLoaderRegistered = false;

/** Lets require() load TypeScript bus modules at synth time (tsx's esbuild-based loader, an optional peer). */
function registerTypeScriptLoader(path: string): void {
  // Jest transforms TypeScript itself; `node -r tsx/cjs` (the example app) and ts-node have a loader already.
  if (typescriptLoaderRegistered || process.env.JEST_WORKER_ID !== undefined || require.extensions['.ts'] !== undefined) return;
  let tsx: { register: () => void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tsx = require('tsx/cjs/api') as { register: () => void };
  } catch {
    if (!/\.[cm]?ts$/.test(path)) return;
    throw new ConfigurationError(
      `busModule: ${path} is TypeScript, which needs tsx to load at synth time: install it (npm install --save-dev tsx), or run the app with a TypeScript loader.`,
      { path },
    );
  }
  tsx.register();
  typescriptLoaderRegistered = true;
}

/** What a deployment publishes of a bus module's schemas (see runtime/schema/deploy.ts). */
export interface DeployedSchemas {
  /** The APIs the module registers, sorted. */
  readonly apis: readonly string[];
  /** Changes whenever a registered API's contract changes. */
  readonly hash: string;
}

/** The APIs a bus module defines but does not register (`topology.permissions.callsApis`), by whether they declare procedures. */
export interface OtherApis {
  /** Callable: they have a request queue wherever they are served. */
  readonly withProcedures: readonly string[];
  /** Events only: nothing to call. */
  readonly withoutProcedures: readonly string[];
}

/**
 * Loads a bus module at construct time (requiring it; bundling is the asset's, see worker-code.ts), as the Lambda will load it at run time: with
 * LIGHTBUS_BUS_NAME set to the deployed bus's name. Returns its topology, the one model of the
 * resources it needs, and what a deployment publishes of its schemas.
 */
export function loadBusModuleTopology(
  modulePath: string,
  busName: string,
): { readonly path: string; readonly topology: Topology; readonly schemas: DeployedSchemas; readonly otherApis: OtherApis } {
  const path = isAbsolute(modulePath) ? modulePath : resolve(process.cwd(), modulePath);
  if (!existsSync(path)) {
    throw new ConfigurationError(`busModule: the bus module ${path} does not exist (given "${modulePath}", resolved from ${process.cwd()}).`, {
      path,
    });
  }
  registerTypeScriptLoader(path);
  const previous = process.env[ClientEnvironment.BusName];
  // The synthesizing shell's caller scope is not the deployed workers': only the module's own counts.
  const previousScope = process.env[ClientEnvironment.CallerScope];
  delete process.env[ClientEnvironment.CallerScope];
  process.env[ClientEnvironment.BusName] = busName;
  let exported: Record<string, unknown>;
  try {
    // A fresh evaluation, so that the bus module reads this bus name (and not a cached one).
    delete require.cache[require.resolve(path)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(path) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigurationError(`busModule: could not load the bus module ${path}: ${(error as Error).message}`, { path });
  } finally {
    if (previous === undefined) delete process.env[ClientEnvironment.BusName];
    else process.env[ClientEnvironment.BusName] = previous;
    if (previousScope !== undefined) process.env[ClientEnvironment.CallerScope] = previousScope;
  }
  const bus = busFromModule(exported, `busModule: ${path}`);
  const topology = bus.topology();
  if (topology.busName !== busName) {
    throw new ConfigurationError(
      `busModule: ${path} uses bus name "${topology.busName}", but this service is on the bus "${busName}". ` +
        'Let the bus module take its bus name from LIGHTBUS_BUS_NAME (leave busName out of lightbus.create()), or give both the same name.',
      { path, busName: topology.busName, expected: busName },
    );
  }
  const workersScope = callerScopeOf({ serviceName: topology.serviceName });
  if (bus.settings.callerScope !== workersScope) {
    // The construct grants its workers result reads under their service's scope only.
    throw new ConfigurationError(
      `busModule: ${path} sets callerScope "${bus.settings.callerScope}", but a LightbusService's workers call as their ` +
        `service's scope "${workersScope}" (their grant reads only "${workersScope}.*"). Leave callerScope out of a ` +
        "service's bus module: it is for callers outside a service (grantCall(fn, api, { callerScope })).",
      { path, callerScope: bus.settings.callerScope, expected: workersScope },
    );
  }
  const source: SchemaSource = bus;
  const hasProcedures = (api: string) => Object.keys(bus.registry.findDefinition(api)?.rpcs ?? {}).length > 0;
  const others = topology.permissions.callsApis;
  return {
    path,
    topology,
    schemas: { apis: registeredApis(source), hash: schemaContentHash(source) },
    otherApis: { withProcedures: others.filter(hasProcedures), withoutProcedures: others.filter((api) => !hasProcedures(api)) },
  };
}
