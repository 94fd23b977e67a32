import type { Logger } from '../runtime/logging';
import { claimApiOwnership, type OwnershipOutcome } from '../runtime/ownership';
import type { Topology } from '../runtime/topology';
import type { AwsClients } from '../runtime/transport';
import { ensureResultsTable } from './provision';

/** What the ownership check needs of a bus client (a `LightbusWorker`'s `bus`). */
export interface OwnershipCheckBus {
  readonly settings: { readonly serviceName: string | undefined; readonly processName: string };
  readonly registry: { readonly registeredApis: readonly string[] };
  readonly transports: { readonly clients: AwsClients };
  readonly logger: Logger;
  topology(): Topology;
}

export interface OwnershipCheckOptions {
  /** Move the APIs to this service even if another service owns them (a migration). @default false */
  readonly takeOwnership?: boolean;
  /** Create the results table first if it is missing (`lightbus run --local`). @default false */
  readonly provision?: boolean;
}

/**
 * Refuses to start a worker whose service would serve an API another service owns: claims each
 * API the bus registers in the results table's owner records (`owner#<api>`). Throws
 * `ApiOwnershipError` naming both services. A bus without a service name, or that registers
 * nothing, owns nothing: the check is skipped (with a warning in the first case).
 *
 * Call it before the worker starts polling (`lightbus run` does, before `worker.start()`).
 */
export async function assertApiOwnership(bus: OwnershipCheckBus, options: OwnershipCheckOptions = {}): Promise<Map<string, OwnershipOutcome>> {
  const apis = bus.registry.registeredApis;
  const outcomes = new Map<string, OwnershipOutcome>();
  if (apis.length === 0) return outcomes;
  const service = bus.settings.serviceName;
  if (service === undefined) {
    bus.logger.warn('No service name: API ownership is not checked (set serviceName so a second implementation is refused)', { apis });
    return outcomes;
  }
  const topology = bus.topology();
  if (options.provision) await ensureResultsTable(bus.transports.clients, topology);
  for (const api of [...apis].sort()) {
    const outcome = await claimApiOwnership(bus.transports.clients.dynamoDb, {
      tableName: topology.resultsTable.name,
      api,
      service,
      claimedBy: bus.settings.processName,
      ...(options.takeOwnership ? { takeOwnership: true } : {}),
    });
    outcomes.set(api, outcome);
    if (outcome.status === 'taken') {
      bus.logger.warn('Took over the ownership of an API', { api, service, previousOwner: outcome.previousOwner });
    }
  }
  return outcomes;
}
