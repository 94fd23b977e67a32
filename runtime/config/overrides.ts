import type { BusSettingsInput } from './settings-input';

/**
 * Settings that beat everything else, set by the CLI from its flags before it loads the bus
 * module (so `--service-name` wins over `lightbus.create({ serviceName })`).
 */
let processOverrides: BusSettingsInput = {};

export function setProcessOverrides(overrides: BusSettingsInput): void {
  processOverrides = { ...overrides };
}

export function getProcessOverrides(): BusSettingsInput {
  return processOverrides;
}
