import { ConfigurationError } from '../errors';
import { getProcessOverrides } from './overrides';
import {
  assertPositiveNumber,
  DEFAULT_API_SETTINGS,
  DEFAULT_BUS_NAME,
  expandNamePlaceholders,
  type ApiSettings,
  type AwsSettings,
  type BusSettings,
} from './bus-config';

/** What `lightbus.create()` accepts for settings; everything optional. */
export interface BusSettingsInput {
  /** Name of the bus: every resource name derives from it. @default LIGHTBUS_BUS_NAME, else 'lightbus' */
  readonly busName?: string;
  /** Consumer-group prefix for listeners; placeholders {hostname} {pid} {random4} {friendly}. @default LIGHTBUS_SERVICE_NAME */
  readonly serviceName?: string;
  /** This process's name, for logs and message senders. @default LIGHTBUS_PROCESS_NAME, else '{hostname}-{pid}' */
  readonly processName?: string;
  readonly aws?: AwsSettings;
  /** @default 3600 */
  readonly resultTtlSeconds?: number;
  /** Settings for every API (`default`) and per API name (the config file's `apis` section). */
  readonly apiSettings?: Readonly<Record<string, Partial<ApiSettings>>>;
}

/**
 * Resolves settings: explicit input first, then environment, then defaults. (The configuration
 * file and CLI flags are layered on top of this by `config/load`.)
 */
export function resolveBusSettings(given: BusSettingsInput = {}, env: NodeJS.ProcessEnv = process.env): BusSettings {
  const overrides = getProcessOverrides();
  const input: BusSettingsInput = {
    ...given,
    ...definedOnly(overrides),
    aws: { ...(given.aws ?? {}), ...definedOnly(overrides.aws ?? {}) },
  };
  const busName = input.busName ?? env.LIGHTBUS_BUS_NAME ?? DEFAULT_BUS_NAME;
  const serviceTemplate = input.serviceName ?? env.LIGHTBUS_SERVICE_NAME;
  const processTemplate = input.processName ?? env.LIGHTBUS_PROCESS_NAME ?? '{hostname}-{pid}';
  const { default: defaultBlock, ...perApi } = input.apiSettings ?? {};
  const defaultApiSettings: ApiSettings = {
    ...DEFAULT_API_SETTINGS,
    ...(defaultBlock ?? {}),
    validate: { ...DEFAULT_API_SETTINGS.validate, ...(defaultBlock?.validate ?? {}) },
  };
  assertPositiveNumber('apis.default.rpcTimeoutMs', defaultApiSettings.rpcTimeoutMs);
  for (const [api, block] of Object.entries(perApi)) {
    if (block.rpcTimeoutMs !== undefined) assertPositiveNumber(`apis.${api}.rpcTimeoutMs`, block.rpcTimeoutMs);
  }
  const resultTtlSeconds = input.resultTtlSeconds ?? 3600;
  assertPositiveNumber('resultTtlSeconds', resultTtlSeconds);
  const endpoint = input.aws?.endpoint;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigurationError(`aws.endpoint must be an http(s) URL; got ${JSON.stringify(endpoint)}.`, { setting: 'aws.endpoint' });
  }
  return {
    busName,
    serviceName: serviceTemplate === undefined ? undefined : expandNamePlaceholders(serviceTemplate),
    processName: expandNamePlaceholders(processTemplate),
    aws: { ...(input.aws ?? {}) },
    resultTtlSeconds,
    apis: perApi,
    defaultApiSettings,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
