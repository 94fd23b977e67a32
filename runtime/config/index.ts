export {
  DEFAULT_API_SETTINGS,
  DEFAULT_BUS_NAME,
  DEFAULT_FIRE_SETTINGS,
  FIRE_DELIVERY_MODES,
  MAX_LINGER_MS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PROCESS_NAME,
  DEFAULT_RESULT_TTL_SECONDS,
  DEFAULT_SCHEMA_TTL_SECONDS,
  DEFAULT_WORKER_HEARTBEAT_SECONDS,
  TRANSPORT_CHOICES,
  expandNamePlaceholders,
  settingsForApi,
  assertPositiveNumber,
} from './bus-config';
export type {
  ApiSettings,
  ApiSettingsInput,
  AwsSettings,
  BusSettings,
  FireDelivery,
  FireSettings,
  PayloadSettings,
  TransportKind,
  TransportSettings,
  ValidateSettings,
} from './bus-config';
export { resolveBusSettings, configFilePath, PAYLOAD_OFFLOAD_ABOVE_VARIABLE } from './resolve';
export type { BusSettingsInput } from './settings-input';
export { setProcessOverrides, getProcessOverrides } from './overrides';
export { configFileSchema, configJsonSchema, loadConfigFile, parseConfigText, validateConfig } from './file';
export type { ConfigFile, ConfigFileLayer } from './file';
export { parseDuration, formatDuration, DURATION_PATTERN } from './duration';
export { TRACE_CONTEXT_ENV, WORKER_HEARTBEAT_ENV, WORKER_STATE_ENV } from './environment';
export { ClientEnvironment, clientEnvironmentOf, type ClientEnvironmentVariable, type DeployedBusLocation } from './environment';
