import { InvalidArgumentError, type Command } from 'commander';
import { locateBus } from '../../../runtime/client';
import { resolveBusSettings } from '../../../runtime/config';
import { ConfigurationError } from '../../../runtime/errors';
import { AwsClients } from '../../../runtime/transport';
import { BusHistory, parseTimePoint, refuseHistoryOfSnsApi, type ReplayReport } from '../../history';
import { addCommonOptions, applyCommonOptions, type CommonOptions } from '../common';
import { normaliseFilters } from './inspect';

export interface ReplayOptions extends CommonOptions {
  readonly api?: string;
  readonly event?: string;
  readonly listener?: string;
  readonly from?: string;
  readonly to?: string;
  /** false with --no-wait. */
  readonly wait?: boolean;
  readonly format?: 'pretty' | 'json';
}

/** Replays the bus's history into one listener (its rule only) and reports the replay. */
export async function replayIntoListener(options: ReplayOptions, write: (text: string) => void, now: () => number = Date.now): Promise<ReplayReport> {
  applyCommonOptions(options);
  const settings = resolveBusSettings();
  if (options.listener === undefined) throw new ConfigurationError('--listener is required: a replay goes to one listener only.');
  if (options.from === undefined) throw new ConfigurationError('--from is required: the start of the window to replay (e.g. 2026-12-01T10:00:00Z or 2h).');
  const service = settings.serviceName;
  if (service === undefined) throw new ConfigurationError(`--listener ${options.listener}: listeners are named after their service; give --service-name (or LIGHTBUS_SERVICE_NAME).`);
  const filters = normaliseFilters(options);
  const at = now();
  const window = { from: parseTimePoint('--from', options.from, at), to: parseTimePoint('--to', options.to ?? 'now', at) };
  const clients = new AwsClients(settings.aws);
  try {
    if (filters.api !== undefined && !filters.api.includes('*')) await refuseHistoryOfSnsApi(clients, settings, filters.api, 'lightbus replay');
    const history = new BusHistory(clients, settings.busName, locateBus(settings).eventBusName, now);
    const report = await history.replayIntoListener(
      { service, listener: options.listener, window, ...(filters.api !== undefined ? { api: filters.api } : {}), ...(filters.event !== undefined ? { event: filters.event } : {}) },
      { wait: options.wait !== false },
    );
    write(options.format === 'json' ? `${JSON.stringify(report)}\n` : formatReplay(report, options.listener));
    return report;
  } finally {
    clients.destroy();
  }
}

export function formatReplay(report: ReplayReport, listener: string): string {
  const window = `${report.window.from.toISOString()} to ${report.window.to.toISOString()}`;
  const reason = report.stateReason ? ` (${report.stateReason})` : '';
  return `Replay ${report.replayName} of ${report.archive}, ${window}, into listener ${listener} only: ${report.state}${reason}\n`;
}

export function registerReplayCommand(program: Command): void {
  const command = program
    .command('replay')
    .description(
      "Replay the bus's history (its EventBridge archive) into ONE listener: the replay is limited to that listener's rule, so the other listeners do not see the events again.",
    )
    .option('--listener <name>', 'the listener to replay into (of --service-name)')
    .option('--api <name>', 'check that the listener listens to this API, and only to it (default: everything the listener listens to)')
    .option('--event <name>', 'check that the listener listens to this event only: a name (with --api) or API and name (customers.newCustomer)')
    .option('--from <time>', 'start of the window: ISO 8601 date-time, epoch ms, or a duration ago (30m, 2h, 1d)')
    .option('--to <time>', 'end of the window (default: now)')
    .option('--no-wait', 'start the replay and return, without waiting for it to complete')
    .option('--format <format>', 'pretty or json', parseFormat, 'pretty');
  addCommonOptions(command, ['busName', 'serviceName', 'config', 'logLevel', 'local', 'endpoint']);
  command.action(async (options: ReplayOptions) => {
    await replayIntoListener(options, (text) => process.stdout.write(text));
  });
}

function parseFormat(value: string): 'pretty' | 'json' {
  if (value !== 'pretty' && value !== 'json') throw new InvalidArgumentError(`--format must be pretty or json; got "${value}".`);
  return value;
}
