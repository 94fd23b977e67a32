import { type Command } from 'commander';
import { create, type BusClient } from '../../../runtime';
import { resolveBusSettings } from '../../../runtime/config';
import { ConfigurationError } from '../../../runtime/errors';
import { createLogger } from '../../../runtime/logging';
import { startDashboard, type RunningDashboard } from '../../dashboard';
import { loadBusModule, resolveBusModulePath } from '../../load-bus-module';
import { addCommonOptions, applyCommonOptions, type CommonOptions } from '../common';
import { parseNonNegativeInt, parsePositiveInt } from '../options';

export interface DashboardCliOptions extends CommonOptions {
  /** @default 4777 */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** A bus module: its settings name the bus, and its APIs are listed even before anything is published. */
  readonly bus?: string;
  /** Items the live view keeps. @default 2000 */
  readonly capacity?: number;
}

export const DEFAULT_DASHBOARD_PORT = 4777;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Starts the dashboard against the bus the CLI's settings name (flags, configuration file,
 * environment; the same endpoint and credentials as every other command). Resolves once it
 * serves; `close()` stops it and removes its temporary rule and queue.
 */
export async function startDashboardFromCli(options: DashboardCliOptions, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<RunningDashboard> {
  const { endpoint } = applyCommonOptions(options);
  const host = options.host ?? '127.0.0.1';
  let bus: BusClient;
  let knownApis: string[] | undefined;
  if (options.bus !== undefined) {
    bus = loadBusModule(resolveBusModulePath(options.bus));
    knownApis = bus.registry.knownApis;
  } else {
    bus = create({});
  }
  const settings = resolveBusSettings();
  const logger = createLogger({ level: settings.logLevel });
  const aws = bus.settings.aws;
  const running = await startDashboard({
    bus,
    aws,
    endpointLabel: endpoint ?? aws.endpoint ?? process.env.AWS_ENDPOINT_URL ?? `AWS (${aws.region ?? process.env.AWS_REGION ?? 'default region'})`,
    logger,
    host,
    port: options.port ?? DEFAULT_DASHBOARD_PORT,
    ...(knownApis ? { knownApis } : {}),
    ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
  });
  if (!LOOPBACK.has(host)) {
    logger.warn('The dashboard listens beyond this machine: anyone who can reach it sees the bus and can redrive dead letters', { host });
  }
  write(`lightbus dashboard of bus ${bus.settings.busName}: ${running.url}  (Ctrl-C stops it)\n`);
  return running;
}

export function registerDashboardCommand(program: Command): void {
  const command = program
    .command('dashboard')
    .description(
      'Serve a local web page showing the bus: services and APIs, live events and RPC calls, traces, dead letters (with redrive) and a picture of the bus. ' +
        'Live events come through a temporary EventBridge rule and SQS queue, removed on exit.',
    )
    .option('--port <n>', `port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)`, (v) => parseNonNegativeInt('--port', v))
    .option('--host <address>', 'address to listen on (default 127.0.0.1: only this machine)')
    .option('--bus <path>', 'a bus module (e.g. bus.ts): names the bus, and its APIs are listed before anything is published')
    .option('--capacity <n>', 'how many live items the page and the server keep (default 2000)', (v) => parsePositiveInt('--capacity', v));
  addCommonOptions(command, ['busName', 'config', 'logLevel', 'local', 'endpoint']);
  command.action(async (options: DashboardCliOptions) => {
    if (options.port !== undefined && options.port > 65535) throw new ConfigurationError(`--port must be at most 65535; got ${options.port}.`);
    const running = await startDashboardFromCli(options);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
  });
}
