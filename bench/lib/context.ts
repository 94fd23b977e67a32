import { lightbus, silentLogger, type Bus } from '../../runtime';
import { provisionTopology } from '../../local';
import { benchApi } from '../fixtures/bench-api';
import type { RawClients } from './aws';
import type { ProxyChild } from './latency-proxy';

/** plain: straight to the emulator (~1 ms a call); aws: through the latency proxy (published AWS latencies). */
export type BenchMode = 'plain' | 'aws';

export interface BenchContext {
  readonly mode: BenchMode;
  /** The endpoint this mode's clients use (AWS_ENDPOINT_URL is set to it while the scenario runs). */
  readonly endpoint: string;
  /**
   * A recording proxy for per-call timelines and request counts: in aws mode the latency proxy
   * itself, in plain mode a zero-latency pass-through (used only for the timeline runs, so the
   * plain figures keep going straight to the emulator).
   */
  readonly recorder: ProxyChild;
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
  // No archive: a bench keeps no history, and an archive would copy every event inside the emulator.
  const provisioned = await provisionTopology(bus.topology(), bus.transports.clients, silentLogger, { archive: false });
  for (const [name, url] of provisioned.queueUrls) bus.transports.queues.locator.remember(name, url);
}

/** Runs `fn` with AWS_ENDPOINT_URL pointing at `endpoint` (clients and children created inside use it). */
export async function withEndpoint<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = endpoint;
  try {
    return await fn();
  } finally {
    process.env.AWS_ENDPOINT_URL = before;
  }
}
