import type { Command } from 'commander';
import { setProcessOverrides } from '../../../runtime/config';
import { ConfigurationError } from '../../../runtime/errors';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../../../runtime/logging';
import { loadBusModule, resolveBusModulePath } from '../../load-bus-module';
import { LightbusWorker, type WorkerFeatures } from '../../worker';
import { parsePositiveInt } from '../options';

/** The endpoint `--local` uses when none is given: LocalStack's and MiniStack's default port. */
export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:4566';

export interface RunOptions {
  readonly bus?: string;
  readonly local?: boolean;
  readonly endpoint?: string;
  readonly serviceName?: string;
  readonly processName?: string;
  readonly logLevel?: string;
  readonly only?: string;
  readonly skip?: string;
  readonly concurrency?: number;
  readonly drainTimeout?: number;
}

const FEATURES = ['rpcs', 'events', 'tasks'] as const;

export function parseFeatures(only: string | undefined, skip: string | undefined, env = process.env): WorkerFeatures {
  const parse = (value: string, flag: string): Set<string> => {
    const list = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const feature of list) {
      if (!(FEATURES as readonly string[]).includes(feature)) {
        throw new ConfigurationError(`${flag}: unknown feature "${feature}"; allowed: ${FEATURES.join(', ')}.`);
      }
    }
    return new Set(list);
  };
  const fromEnv = env.LIGHTBUS_FEATURES;
  let enabled = new Set<string>(only ? parse(only, '--only') : fromEnv ? parse(fromEnv, 'LIGHTBUS_FEATURES') : FEATURES);
  if (skip) {
    const skipped = parse(skip, '--skip');
    enabled = new Set([...enabled].filter((f) => !skipped.has(f)));
  }
  return { rpcs: enabled.has('rpcs'), events: enabled.has('events') };
}

/** Applies the flags that must beat the bus module's own settings, then loads and runs it. */
export async function runWorkerFromCli(options: RunOptions): Promise<LightbusWorker> {
  if (options.logLevel !== undefined && !isLogLevel(options.logLevel)) {
    throw new ConfigurationError(`--log-level: "${options.logLevel}" is not a level; allowed: ${LOG_LEVELS.join(', ')}.`);
  }
  if (options.logLevel) process.env.LIGHTBUS_LOG_LEVEL = options.logLevel as LogLevel;
  const features = parseFeatures(options.only, options.skip);
  let endpoint: string | undefined;
  if (options.local) {
    endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL ?? DEFAULT_LOCAL_ENDPOINT;
    // Emulators accept any credentials; real ones in the environment are left alone.
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    process.env.AWS_REGION ??= process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  } else if (options.endpoint) {
    endpoint = options.endpoint;
  }
  setProcessOverrides({
    ...(options.serviceName !== undefined ? { serviceName: options.serviceName } : {}),
    ...(options.processName !== undefined ? { processName: options.processName } : {}),
    ...(endpoint !== undefined ? { aws: { endpoint } } : {}),
  });
  const path = resolveBusModulePath(options.bus);
  const bus = loadBusModule(path);
  const worker = new LightbusWorker(bus, {
    provision: options.local === true,
    features,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.drainTimeout !== undefined ? { drainTimeoutMs: options.drainTimeout } : {}),
  });
  bus.logger.info('Loading bus module', { path, endpoint: endpoint ?? '(AWS)', features });
  await worker.start();
  return worker;
}

/** Stops the worker on SIGINT/SIGTERM (a second signal exits at once). */
export function stopOnSignals(worker: LightbusWorker, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      worker.bus.logger.warn(`Second ${signal}: exiting without waiting for messages in flight`);
      exit(1);
      return;
    }
    stopping = true;
    worker.bus.logger.info(`Received ${signal}`);
    worker
      .stop()
      .then(() => worker.bus.close())
      .then(() => exit(0))
      .catch((error: Error) => {
        worker.bus.logger.error('Error while stopping', { error });
        exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run the bus module as a worker: serve its RPCs and run its listeners until SIGINT/SIGTERM.')
    .option('-b, --bus <path>', 'bus module (default: LIGHTBUS_MODULE, else ./bus.ts or ./bus.js)')
    .option('--local', 'run against an AWS-compatible endpoint (LocalStack, MiniStack) and provision the resources')
    .option('--endpoint <url>', `endpoint URL (default with --local: AWS_ENDPOINT_URL, else ${DEFAULT_LOCAL_ENDPOINT})`)
    .option('--service-name <name>', 'service name (beats the bus module and LIGHTBUS_SERVICE_NAME)')
    .option('--process-name <name>', 'process name (beats the bus module and LIGHTBUS_PROCESS_NAME)')
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`)
    .option('--only <features>', `run only these features (comma-separated: ${FEATURES.join(', ')})`)
    .option('--skip <features>', 'run all features except these')
    .option('--concurrency <n>', 'messages in flight per queue (default 32)', (v) => parsePositiveInt('--concurrency', v))
    .option('--drain-timeout <ms>', 'on stop, how long to let messages in flight finish (default 10000)', (v) =>
      parsePositiveInt('--drain-timeout', v),
    )
    .action(async (options: RunOptions) => {
      const worker = await runWorkerFromCli(options);
      stopOnSignals(worker);
    });
}
