export {
  DEFAULT_API_SETTINGS,
  DEFAULT_BUS_NAME,
  expandNamePlaceholders,
  settingsForApi,
  assertPositiveNumber,
} from './bus-config';
export type { ApiSettings, AwsSettings, BusSettings } from './bus-config';
export { resolveBusSettings } from './resolve';
export type { BusSettingsInput } from './resolve';
export { setProcessOverrides, getProcessOverrides } from './overrides';
