import { InvalidArgumentError, type Command } from 'commander';
import { ConfigurationError } from '../../../runtime/errors';
import { assertApiOwnership } from '../../api-ownership';
import { DEFAULT_CONCURRENCY } from '../../concurrency';
import { loadBusModule, resolveBusModulePath } from '../../load-bus-module';
import { readSchemaDump } from '../../schema-dump';
import { LightbusWorker, type WorkerFeatures } from '../../worker';
import { addCommonOptions, applyCommonOptions, DEFAULT_LOCAL_ENDPOINT, type CommonOptions } from '../common';
import { parseNonNegativeInt, parsePositiveInt } from '../options';


export interface RunOptions extends CommonOptions {
  readonly bus?: string;
  readonly only?: string;
  readonly skip?: string;
  readonly concurrency?: number;
  readonly drainTimeout?: number;
  readonly executionTimeout?: number;
  readonly waitTime?: number;
  readonly longPollRecheck?: number;
  /** A schema dump (`lightbus dumpschema`) to validate against: file or directory. */
  readonly schema?: string;
  /** Move the APIs this service registers to it even if another service owns them (a migration). */
  readonly takeOwnership?: boolean;
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
  return { rpcs: enabled.has('rpcs'), events: enabled.has('events'), tasks: enabled.has('tasks') };
}

/** Applies the flags that must beat the bus module's own settings, then loads and runs it. */
export async function runWorkerFromCli(
  options: RunOptions,
  hooks: { beforeStart?: (worker: LightbusWorker) => void } = {},
): Promise<LightbusWorker> {
  const features = parseFeatures(options.only, options.skip);
  const { endpoint } = applyCommonOptions(options);
  const path = resolveBusModulePath(options.bus);
  const bus = loadBusModule(path);
  if (options.schema !== undefined) {
    const loaded = readSchemaDump(options.schema);
    bus.schemas.pin(loaded);
    bus.logger.info('Loaded API schemas: outgoing messages are validated against them', {
      schema: options.schema,
      apis: loaded.map((s) => `${s.api}@${s.version}`),
    });
  }
  const worker = new LightbusWorker(bus, {
    provision: options.local === true,
    features,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.drainTimeout !== undefined ? { drainTimeoutMs: options.drainTimeout } : {}),
    ...(options.executionTimeout !== undefined ? { executionTimeoutMs: options.executionTimeout } : {}),
    ...(options.waitTime !== undefined ? { waitTimeSeconds: options.waitTime } : {}),
    ...(options.longPollRecheck !== undefined ? { longPollRecheckMs: options.longPollRecheck } : {}),
  });
  bus.logger.info('Loading bus module', { path, config: bus.settings.configFile, endpoint: endpointInUse(endpoint, bus.settings.aws), features });
  hooks.beforeStart?.(worker);
  // One owning service per API: refuse before polling, so no call reaches a second implementation.
  try {
    await assertApiOwnership(bus, { takeOwnership: options.takeOwnership === true, provision: options.local === true });
  } catch (error) {
    await bus.close().catch(() => undefined); // nothing may keep the refused process alive
    throw error;
  }
  await worker.start();
  return worker;
}

/**
 * The endpoint the worker really talks to, for the start-up log: the flag's, else the bus settings'
 * (configuration file), else the SDK's own environment variables, else AWS in the region.
 */
export function endpointInUse(flag: string | undefined, aws: { readonly endpoint?: string; readonly region?: string }, env = process.env): string {
  const endpoint = flag ?? aws.endpoint ?? env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  if (endpoint) return endpoint;
  const region = aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return region ? `AWS (${region})` : "AWS (the SDK's default region)";
}

/**
 * Stops the worker on SIGINT/SIGTERM. A second signal exits at once (code 1) without waiting:
 * messages in flight and those its long polls still receive stay hidden until their visibility
 * timeout (an RPC request may then be past its deadline).
 */
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

function parseWaitTime(value: string): number {
  const seconds = parsePositiveInt('--wait-time', value);
  if (seconds > 20) throw new InvalidArgumentError(`--wait-time must be from 1 to 20 (seconds, SQS's longest long poll); got ${value}.`);
  return seconds;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('Run the bus module as a worker: serve its RPCs, run its listeners and scheduled tasks until SIGINT/SIGTERM.')
    .option('-b, --bus <path>', 'bus module (default: LIGHTBUS_MODULE, else ./bus.ts or ./bus.js)')
    .option('--local', 'run against an AWS-compatible endpoint (LocalStack, MiniStack) and provision the resources')
    .option('--endpoint <url>', `endpoint URL (default with --local: AWS_ENDPOINT_URL, else ${DEFAULT_LOCAL_ENDPOINT})`);
  addCommonOptions(command, ['config', 'busName', 'serviceName', 'processName', 'logLevel']);
  command
    .option('--only <features>', `run only these features (comma-separated: ${FEATURES.join(', ')})`)
    .option('--skip <features>', 'run all features except these')
    .option('--take-ownership', 'serve the APIs this service registers even if another service owns them (a migration; the other must stop serving them)')
    .option('--schema <path>', 'validate against a schema dump (lightbus dumpschema): a file or a directory')
    .option('--concurrency <n>', `messages in flight per queue (default ${DEFAULT_CONCURRENCY})`, (v) => parsePositiveInt('--concurrency', v))
    .option('--drain-timeout <ms>', 'on stop, how long to let messages in flight finish (default 10000)', (v) =>
      parsePositiveInt('--drain-timeout', v),
    )
    .option('--wait-time <seconds>', 'long-poll wait, 1 to 20; also the longest a stop waits for polls under way to end (default 20)', (v) =>
      parseWaitTime(v),
    )
    .option(
      '--execution-timeout <ms>',
      'how long a procedure or listener may run before it is abandoned and fails (default: a procedure until its deadline, a listener its visibility timeout)',
      (v) => parsePositiveInt('--execution-timeout', v),
    )
    .option(
      '--long-poll-recheck <ms>',
      "the endpoint's long-poll re-check interval, over which pollers spread their long polls (default: 100 with a custom endpoint, 0 on AWS; 0: off)",
      (v) => parseNonNegativeInt('--long-poll-recheck', v),
    )
    .action(async (options: RunOptions) => {
      // Signals are handled from before the start, so a SIGTERM during start-up still stops cleanly.
      const worker = await runWorkerFromCli(options, { beforeStart: (w) => stopOnSignals(w) });
      // `lightbus run` runs until SIGINT/SIGTERM even with nothing to poll (a service that only
      // publishes its schemas, or whose --only/--skip left nothing): hold the event loop open.
      const keepAlive = setInterval(() => undefined, 60_000);
      worker.once('stopped', () => clearInterval(keepAlive));
    });
}
