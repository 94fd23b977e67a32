import { lightbus, silentLogger, type Bus } from '../../runtime';
import { provisionTopology } from '../../local';
import { benchApi } from '../fixtures/bench-api';
import type { RawClients } from './aws';

export interface BenchContext {
  readonly endpoint: string;
  readonly raw: RawClients;
  /** BENCH_QUICK=1: smaller counts, for trying the harness out; figures are then not comparable. */
  readonly quick: boolean;
  log(message: string): void;
}

export type BenchBus = Bus<readonly [typeof benchApi]>;

/** A bus client in this process, authoritative for the bench API, optionally with a counting listener. */
export function createBenchBus(busName: string, options: { onPing?: () => void } = {}): BenchBus {
  const bus = lightbus.create({ busName, serviceName: 'bench', apis: [benchApi], logger: silentLogger });
  bus.register(benchApi, { echo: ({ n }) => n });
  if (options.onPing) bus.bench.ping.listen(options.onPing, { listenerName: 'counter' });
  return bus;
}

export async function provision(bus: BenchBus): Promise<void> {
  const provisioned = await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
  for (const [name, url] of provisioned.queueUrls) bus.transports.queues.locator.remember(name, url);
}
