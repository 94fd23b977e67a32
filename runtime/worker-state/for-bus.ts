import type { BusClient } from '../client';
import { WorkerStateStore } from './store';

/** The worker-state store of a bus client: its results table and event bus, through its own AWS clients. */
export function workerStateStoreFor(bus: BusClient): WorkerStateStore {
  const { clients, location } = bus.transports;
  return new WorkerStateStore({
    // Resolved on first use: building the store costs no client.
    get dynamoDb() {
      return clients.dynamoDb;
    },
    get eventBridge() {
      return clients.eventBridge;
    },
    tableName: location.resultsTable,
    eventBusName: location.eventBusName,
  });
}
