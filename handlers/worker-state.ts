import type { BusClient } from '../runtime/client';
import { describeWorker, parseLambdaWorkerState, workerStateStoreFor, WorkerStateReporter } from '../runtime/worker-state';

/** Worker-state options of the worker handler. */
export interface WorkerStateHandlerOptions {
  /**
   * Report this worker's state on the bus (docs/operations.md, "Worker state"): `workerStarted` on
   * the first invocation of each execution environment, then a `workerHeartbeat` at most once per
   * `workerHeartbeatSeconds`, made during an invocation (a frozen environment runs no timer). No
   * other invocation makes a call for it. Lambda never says when an environment ends, so a Lambda
   * worker never reports `workerStopping`: its entry goes stale, then expires.
   * @default - LIGHTBUS_WORKER_STATE (set by `LightbusService({ workerState: true })`), else off
   */
  readonly workerState?: boolean;
}

/**
 * The function's reporter, made on first use (the topology is read then, not at module load), or
 * undefined when worker state is off: then the handler does nothing for it at all.
 */
export function lambdaStateReporter(
  bus: BusClient,
  options: WorkerStateHandlerOptions & { readonly logger?: BusClient['logger'] },
  envValue: string | undefined,
): (() => WorkerStateReporter) | undefined {
  const setting = parseLambdaWorkerState(envValue);
  const enabled = options.workerState ?? setting.enabled;
  if (!enabled) return undefined;
  let reporter: WorkerStateReporter | undefined;
  return () => {
    reporter ??= new WorkerStateReporter(workerStateStoreFor(bus), describeWorker(bus.topology(), setting.serves), {
      runtime: 'lambda',
      heartbeatSeconds: bus.settings.workerHeartbeatSeconds,
      process: bus.settings.processName,
      logger: options.logger ?? bus.logger,
    });
    return reporter;
  };
}
