/** Factories for tests: buses with unique names, workers that are always stopped. */
import { createLogger, lightbus, z, silentLogger, type Logger, type CreateOptions } from '../../runtime';
import type { AnyApiDefinition } from '../../runtime/api/types';
import { LightbusWorker, type WorkerOptions } from '../../local';
import { uniqueName } from './aws';
import { mathApi } from './apis';

export { mathApi };

export class TestFailure extends Error {
  public override name = 'TestFailure';
}

/** Options for every test bus: a unique bus name and no log noise unless LIGHTBUS_TEST_LOGS is set. */
export function testBusOptions<const Apis extends readonly AnyApiDefinition[]>(
  options: CreateOptions<Apis> & { readonly busName?: string },
): CreateOptions<Apis> {
  const logger: Logger = process.env.LIGHTBUS_TEST_LOGS ? createLogger({ level: 'debug', format: 'pretty' }) : silentLogger;
  return { busName: uniqueName('t'), logger, ...options };
}

const running: LightbusWorker[] = [];
const clients: { close(): Promise<void> }[] = [];

/** Starts a provisioning worker with test-friendly timings; stopped by `stopAll()`. */
export async function startWorker(bus: LightbusWorker['bus'], options: WorkerOptions = {}): Promise<LightbusWorker> {
  const worker = new LightbusWorker(bus, { provision: true, waitTimeSeconds: 1, drainTimeoutMs: 5000, ...options });
  running.push(worker);
  await worker.start();
  return worker;
}

/** Registers a client to close after the test. */
export function track<T extends { close(): Promise<void> }>(client: T): T {
  clients.push(client);
  return client;
}

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

/** Polls `check` until it returns true or the time runs out. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

export { lightbus, z };
