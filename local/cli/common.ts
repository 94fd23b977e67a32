import { InvalidArgumentError, type Command } from 'commander';
import { loadConfigFile, parseDuration, setProcessOverrides, type BusSettingsInput } from '../../runtime/config';
import { ConfigurationError } from '../../runtime/errors';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../../runtime/logging';

/** The endpoint `--local` uses when none is given: LocalStack's and MiniStack's default port. */
export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:4566';

/** Flags shared by the commands that talk to a bus (run, inspect, shell). */
export interface CommonOptions {
  readonly config?: string;
  readonly busName?: string;
  readonly serviceName?: string;
  readonly processName?: string;
  readonly logLevel?: string;
  readonly local?: boolean;
  readonly endpoint?: string;
}

export type CommonOptionName = keyof CommonOptions;

const DESCRIPTIONS: Readonly<Record<CommonOptionName, readonly [flags: string, description: string]>> = {
  config: ['--config <path>', 'configuration file, YAML or JSON (beats create({ config }) and LIGHTBUS_CONFIG)'],
  busName: ['--bus-name <name>', 'bus name (beats create(), the configuration file and LIGHTBUS_BUS_NAME)'],
  serviceName: ['--service-name <name>', 'service name (beats create(), the configuration file and LIGHTBUS_SERVICE_NAME)'],
  processName: ['--process-name <name>', 'process name (beats create(), the configuration file and LIGHTBUS_PROCESS_NAME)'],
  logLevel: ['--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (beats create(), the configuration file and LIGHTBUS_LOG_LEVEL)`],
  local: ['--local', 'use an AWS-compatible emulator (MiniStack, LocalStack) with test credentials'],
  endpoint: ['--endpoint <url>', `AWS endpoint URL (default with --local: AWS_ENDPOINT_URL, else ${DEFAULT_LOCAL_ENDPOINT})`],
};

/** Adds the shared flags, in a stable order, to a command. */
export function addCommonOptions(command: Command, names: readonly CommonOptionName[]): Command {
  for (const name of names) {
    const [flags, description] = DESCRIPTIONS[name];
    command.option(flags, description);
  }
  return command;
}

/**
 * Turns the shared flags into the top layer of settings (process overrides), which every bus
 * client created afterwards in this process sees, and sets up `--local`. Returns the endpoint.
 */
export function applyCommonOptions(options: CommonOptions, env: NodeJS.ProcessEnv = process.env): { endpoint: string | undefined } {
  if (options.logLevel !== undefined && !isLogLevel(options.logLevel)) {
    throw new ConfigurationError(`--log-level: "${options.logLevel}" is not a log level; allowed: ${LOG_LEVELS.join(', ')}.`);
  }
  if (options.endpoint !== undefined && !/^https?:\/\//.test(options.endpoint)) {
    throw new ConfigurationError(`--endpoint: "${options.endpoint}" is not an http(s) URL.`);
  }
  let endpoint: string | undefined;
  if (options.local) {
    endpoint = options.endpoint ?? (env.AWS_ENDPOINT_URL || DEFAULT_LOCAL_ENDPOINT);
    // Emulators accept any credentials; real ones in the environment are left alone.
    env.AWS_ACCESS_KEY_ID ??= 'test';
    env.AWS_SECRET_ACCESS_KEY ??= 'test';
    env.AWS_REGION ??= env.AWS_DEFAULT_REGION ?? 'us-east-1';
  } else if (options.endpoint) {
    endpoint = options.endpoint;
  }
  const overrides: BusSettingsInput = {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.busName !== undefined ? { busName: options.busName } : {}),
    ...(options.serviceName !== undefined ? { serviceName: options.serviceName } : {}),
    ...(options.processName !== undefined ? { processName: options.processName } : {}),
    ...(options.logLevel !== undefined ? { logLevel: options.logLevel as LogLevel } : {}),
    ...(endpoint !== undefined ? { aws: { endpoint } } : {}),
  };
  // --config always wins, so check it now: its errors then read as what they are, not as a
  // failure to load the bus module that creates the client.
  if (options.config !== undefined) loadConfigFile(options.config);
  setProcessOverrides(overrides);
  return { endpoint };
}

/** Parses `10s`, `2m`, `500ms`, or a bare number of seconds, for `--duration`-like flags. */
export function parseDurationFlag(flag: string, value: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDuration(value);
  if (ms === undefined || !(ms > 0)) {
    throw new InvalidArgumentError(`${flag} must be a duration such as 10s, 2m or 500ms (a bare number is seconds); got "${value}".`);
  }
  return ms;
}
