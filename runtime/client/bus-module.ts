import { ConfigurationError } from '../errors';
import { BusClient } from './bus-client';

/**
 * The `bus` export of a bus module's namespace (`import * as busModule from './bus'`), with an
 * error that says what the module exports instead. Duck-typed as well, so a module that bundles
 * its own copy of the runtime still works.
 */
export function busFromModule(exported: Readonly<Record<string, unknown>>, modulePath = 'the bus module'): BusClient {
  const bus = exported.bus ?? (exported.default as Record<string, unknown> | undefined)?.bus;
  if (!isBusClient(bus)) {
    throw new ConfigurationError(
      `${modulePath} must export \`bus\` (export const bus = lightbus.create(...)); ` +
        `its exports are: ${Object.keys(exported).join(', ') || '(none)'}.`,
      { path: modulePath },
    );
  }
  return bus;
}

function isBusClient(value: unknown): value is BusClient {
  if (value instanceof BusClient) return true;
  const candidate = value as Partial<BusClient> | undefined;
  return typeof candidate?.topology === 'function' && typeof candidate.callProcedure === 'function' && candidate.registry !== undefined;
}
