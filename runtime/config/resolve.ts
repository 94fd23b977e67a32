import { resolve as resolvePath } from 'node:path';
import { ConfigurationError } from '../errors';
import { callerScopeOf } from '../topology/table-keys';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../logging';
import { ClientEnvironment, TRACE_CONTEXT_ENV, WORKER_HEARTBEAT_ENV } from './environment';
import { getProcessOverrides } from './overrides';
import {
  assertPositiveNumber,
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
  expandNamePlaceholders,
  TRANSPORT_CHOICES,
  type ApiSettings,
  type ApiSettingsInput,
  type AwsSettings,
  type BusSettings,
  type FireSettings,
} from './bus-config';
import { parseDuration } from './duration';
import { loadConfigFile, type ConfigFileLayer } from './file';
import type { BusSettingsInput } from './settings-input';

/**
 * Resolves a bus's settings from its layers, highest first:
 *
 *   CLI flags (process overrides) > create() options > configuration file > environment > defaults
 *
 * The configuration file is the one named by `--config`, else `create({ config })`, else
 * LIGHTBUS_CONFIG. docs/configuration.md has the whole table; test/unit/config-precedence.test.ts
 * checks it row by row.
 */
export function resolveBusSettings(given: BusSettingsInput = {}, env: NodeJS.ProcessEnv = process.env): BusSettings {
  const overrides = getProcessOverrides();
  checkInput(given, 'create()');
  checkInput(overrides, 'the command line');
  const configPath = overrides.config ?? given.config ?? nonEmpty(env.LIGHTBUS_CONFIG);
  const file: Partial<ConfigFileLayer> = configPath !== undefined ? loadConfigFile(configPath) : {};
  const envLogLevel = nonEmpty(env.LIGHTBUS_LOG_LEVEL)?.toLowerCase();
  if (envLogLevel !== undefined && !isLogLevel(envLogLevel)) {
    throw new ConfigurationError(
      `LIGHTBUS_LOG_LEVEL: "${env.LIGHTBUS_LOG_LEVEL}" is not a log level; allowed: ${LOG_LEVELS.join(', ')}.`,
      { setting: 'LIGHTBUS_LOG_LEVEL' },
    );
  }
  /** The first defined value, highest layer first. */
  const pick = <K extends keyof BusSettingsInput & keyof ConfigFileLayer>(key: K, fromEnv?: BusSettingsInput[K]) =>
    overrides[key] ?? given[key] ?? (file[key] as BusSettingsInput[K] | undefined) ?? fromEnv;

  const busName = pick('busName', nonEmpty(env[ClientEnvironment.BusName])) ?? DEFAULT_BUS_NAME;
  const serviceTemplate = pick('serviceName', nonEmpty(env[ClientEnvironment.ServiceName]));
  // Expanded once: {random4} must give the service name and the scope derived from it the same value.
  const serviceName = serviceTemplate === undefined ? undefined : expandNamePlaceholders(serviceTemplate);
  const callerScopeSetting = overrides.callerScope ?? given.callerScope ?? nonEmpty(env[ClientEnvironment.CallerScope]);
  const processTemplate = pick('processName', nonEmpty(env.LIGHTBUS_PROCESS_NAME)) ?? DEFAULT_PROCESS_NAME;
  const logLevel = pick('logLevel', envLogLevel as LogLevel | undefined) ?? DEFAULT_LOG_LEVEL;
  const resultTtlSeconds = pick('resultTtlSeconds') ?? DEFAULT_RESULT_TTL_SECONDS;
  const schemaTtlSeconds = pick('schemaTtlSeconds') ?? DEFAULT_SCHEMA_TTL_SECONDS;
  const workerHeartbeatSeconds = pick('workerHeartbeatSeconds', heartbeatFromEnv(env)) ?? DEFAULT_WORKER_HEARTBEAT_SECONDS;
  const traceContext = pick('traceContext', traceContextFromEnv(env)) ?? true;
  // Key by key, so a file's `linger` survives a create() that only sets `delivery`.
  const fire: FireSettings = { ...DEFAULT_FIRE_SETTINGS, ...definedOnly(file.fire ?? {}), ...definedOnly(given.fire ?? {}), ...definedOnly(overrides.fire ?? {}) };
  const offloadAbove =
    overrides.payloads?.offloadAbove ?? given.payloads?.offloadAbove ?? file.payloads?.offloadAbove ?? offloadAboveFromEnv(env);
  const aws: AwsSettings = definedOnly({
    region: overrides.aws?.region ?? given.aws?.region ?? file.aws?.region,
    endpoint: overrides.aws?.endpoint ?? given.aws?.endpoint ?? file.aws?.endpoint,
  });

  // Per-API settings: each layer's blocks, lowest first, so that later ones win key by key.
  const layers = [file.apiSettings ?? {}, given.apiSettings ?? {}, overrides.apiSettings ?? {}];
  const defaultApiSettings = mergeApiSettings(DEFAULT_API_SETTINGS, layers.map((l) => l.default));
  const apis: Record<string, ApiSettings> = {};
  const named = new Set(layers.flatMap((l) => Object.keys(l)).filter((api) => api !== 'default'));
  for (const api of named) apis[api] = mergeApiSettings(defaultApiSettings, layers.map((l) => l[api]));

  return {
    busName,
    serviceName,
    callerScope: resolveCallerScope(callerScopeSetting, serviceName),
    processName: expandNamePlaceholders(processTemplate),
    aws,
    logLevel,
    resultTtlSeconds,
    schemaTtlSeconds,
    workerHeartbeatSeconds,
    traceContext,
    fire,
    payloads: offloadAbove === undefined ? {} : { offloadAbove },
    apis,
    defaultApiSettings,
    configFile: file.path,
  };
}

function mergeApiSettings(base: ApiSettings, blocks: ReadonlyArray<ApiSettingsInput | undefined>): ApiSettings {
  let merged = base;
  for (const block of blocks) {
    if (!block) continue;
    const { validate, transports, ...rest } = block;
    merged = {
      ...merged,
      ...definedOnly(rest),
      validate:
        validate === undefined
          ? merged.validate
          : typeof validate === 'boolean'
            ? { outgoing: validate, incoming: validate }
            : { ...merged.validate, ...definedOnly(validate) },
      transports: { ...merged.transports, ...definedOnly(transports ?? {}) },
    };
  }
  return merged;
}

/** Checks settings given in code (the file is checked by its schema) with errors that name the key. */
function checkInput(input: BusSettingsInput, where: string): void {
  if (input.logLevel !== undefined && !isLogLevel(input.logLevel)) {
    throw new ConfigurationError(
      `${where}: logLevel "${String(input.logLevel)}" is not a log level; allowed: ${LOG_LEVELS.join(', ')}.`,
      { setting: 'logLevel' },
    );
  }
  if (input.resultTtlSeconds !== undefined) assertPositiveNumber('resultTtlSeconds', input.resultTtlSeconds);
  if (input.schemaTtlSeconds !== undefined) assertPositiveNumber('schemaTtlSeconds', input.schemaTtlSeconds);
  if (input.workerHeartbeatSeconds !== undefined) assertHeartbeat(`${where}: workerHeartbeatSeconds`, input.workerHeartbeatSeconds);
  if (input.traceContext !== undefined && typeof input.traceContext !== 'boolean') {
    throw new ConfigurationError(`${where}: traceContext must be true or false; got ${JSON.stringify(input.traceContext)}.`, { setting: 'traceContext' });
  }
  checkFireInput(input.fire, where);
  checkOffloadAbove(input.payloads?.offloadAbove, `${where}: payloads.offloadAbove`);
  const endpoint = input.aws?.endpoint;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigurationError(`aws.endpoint must be an http(s) URL; got ${JSON.stringify(endpoint)}.`, { setting: 'aws.endpoint' });
  }
  for (const [api, block] of Object.entries(input.apiSettings ?? {})) {
    const key = `apiSettings.${api}`;
    if (block === null || typeof block !== 'object') {
      throw new ConfigurationError(`${key} must be an object of settings; got ${JSON.stringify(block)}.`, { setting: key });
    }
    if (block.rpcTimeoutMs !== undefined) assertPositiveNumber(`${key}.rpcTimeoutMs`, block.rpcTimeoutMs);
    if (block.eventFireTimeoutMs !== undefined) assertPositiveNumber(`${key}.eventFireTimeoutMs`, block.eventFireTimeoutMs);
    for (const name of ['strictValidation', 'castValues'] as const) {
      const value = block[name];
      if (value !== undefined && typeof value !== 'boolean') {
        throw new ConfigurationError(`${key}.${name} must be true or false; got ${JSON.stringify(value)}.`, { setting: `${key}.${name}` });
      }
    }
    if (block.orderedBy !== undefined && (typeof block.orderedBy !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(block.orderedBy))) {
      throw new ConfigurationError(`${key}.orderedBy must be a parameter name; got ${JSON.stringify(block.orderedBy)}.`, { setting: `${key}.orderedBy` });
    }
    for (const [kind, value] of Object.entries(block.transports ?? {})) {
      const allowed = TRANSPORT_CHOICES[kind as keyof typeof TRANSPORT_CHOICES] as readonly string[] | undefined;
      if (allowed === undefined) {
        throw new ConfigurationError(
          `${key}.transports: unknown kind "${kind}"; allowed: ${Object.keys(TRANSPORT_CHOICES).join(', ')}.`,
          { setting: `${key}.transports` },
        );
      }
      if (value !== undefined && !allowed.includes(value as string)) {
        throw new ConfigurationError(
          `${key}.transports.${kind}: ${JSON.stringify(value)} is not supported; allowed: ${allowed.join(', ')}.`,
          { setting: `${key}.transports.${kind}`, allowed },
        );
      }
    }
  }
}

/** create()'s `fire` block; the file's `bus.fire` is checked by its schema. */
function checkFireInput(fire: Partial<FireSettings> | undefined, where: string): void {
  if (fire === undefined) return;
  if (fire === null || typeof fire !== 'object') {
    throw new ConfigurationError(`${where}: fire must be an object of settings; got ${JSON.stringify(fire)}.`, { setting: 'fire' });
  }
  if (fire.delivery !== undefined && !(FIRE_DELIVERY_MODES as readonly string[]).includes(fire.delivery)) {
    throw new ConfigurationError(
      `${where}: fire.delivery ${JSON.stringify(fire.delivery)} is not supported; allowed: ${FIRE_DELIVERY_MODES.join(', ')}.`,
      { setting: 'fire.delivery', allowed: FIRE_DELIVERY_MODES },
    );
  }
  checkLinger(fire.lingerMs, where);
  if (fire.maxBuffered !== undefined && !(Number.isInteger(fire.maxBuffered) && fire.maxBuffered >= 1)) {
    throw new ConfigurationError(`${where}: fire.maxBuffered must be a whole number ≥ 1; got ${JSON.stringify(fire.maxBuffered)}.`, {
      setting: 'fire.maxBuffered',
    });
  }
}

/** An event's eventFireTimeout runs while it lingers, so the linger is capped (and setTimeout overflows past 2^31 ms). */
function checkLinger(lingerMs: number | undefined, where: string): void {
  if (lingerMs === undefined) return;
  if (!(typeof lingerMs === 'number' && Number.isFinite(lingerMs) && lingerMs >= 0 && lingerMs <= MAX_LINGER_MS)) {
    throw new ConfigurationError(
      `${where}: fire.lingerMs must be a number of milliseconds from 0 to ${MAX_LINGER_MS}; got ${JSON.stringify(lingerMs)}.`,
      { setting: 'fire.lingerMs', given: lingerMs, allowed: { min: 0, max: MAX_LINGER_MS } },
    );
  }
}

/** The most often a worker may report its state: one DynamoDB write and one PutEvents per beat. */
const MIN_WORKER_HEARTBEAT_SECONDS = 1;

function assertHeartbeat(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= MIN_WORKER_HEARTBEAT_SECONDS)) {
    throw new ConfigurationError(`${name} must be a number of seconds ≥ ${MIN_WORKER_HEARTBEAT_SECONDS}; got ${JSON.stringify(value)}.`, {
      setting: 'workerHeartbeatSeconds',
      given: value,
    });
  }
}

/** LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE: bytes, a whole number ≥ 1. */
function offloadAboveFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = nonEmpty(env[PAYLOAD_OFFLOAD_ABOVE_VARIABLE]);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  checkOffloadAbove(value, `${PAYLOAD_OFFLOAD_ABOVE_VARIABLE} ("${text}")`);
  return value;
}

function checkOffloadAbove(value: number | undefined, where: string): void {
  if (value === undefined) return;
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new ConfigurationError(`${where} must be a whole number of bytes, at least 1; got ${JSON.stringify(value)}.`, {
      setting: 'payloads.offloadAbove',
    });
  }
}

/** LIGHTBUS_WORKER_HEARTBEAT: a duration (`30s`, `2m`) or a bare number of seconds. */
function heartbeatFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = nonEmpty(env[WORKER_HEARTBEAT_ENV]);
  if (raw === undefined) return undefined;
  const millis = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : parseDuration(raw);
  const seconds = millis === undefined ? Number.NaN : Math.ceil(millis / 1000);
  if (!(seconds >= MIN_WORKER_HEARTBEAT_SECONDS)) {
    throw new ConfigurationError(
      `${WORKER_HEARTBEAT_ENV}: "${raw}" is not a heartbeat interval; expected a duration such as 30s or 2m, or a number of seconds, at least ${MIN_WORKER_HEARTBEAT_SECONDS}s.`,
      { setting: WORKER_HEARTBEAT_ENV },
    );
  }
  return seconds;
}

const TRACE_CONTEXT_VALUES: Readonly<Record<string, boolean>> = { true: true, on: true, '1': true, false: false, off: false, '0': false };

function traceContextFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  const raw = nonEmpty(env[TRACE_CONTEXT_ENV]);
  if (raw === undefined) return undefined;
  const value = TRACE_CONTEXT_VALUES[raw.toLowerCase()];
  if (value === undefined) {
    throw new ConfigurationError(`${TRACE_CONTEXT_ENV}: "${raw}" is not a switch; expected true, false, on, off, 1 or 0.`, { setting: TRACE_CONTEXT_ENV });
  }
  return value;
}

/** The environment variable of `payloads.offloadAbove` (below the file, above the default). */
export const PAYLOAD_OFFLOAD_ABOVE_VARIABLE = 'LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** The configuration file a process would use (for logs and the CLI): --config > create() > LIGHTBUS_CONFIG. */
export function configFilePath(given: BusSettingsInput = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = getProcessOverrides().config ?? given.config ?? nonEmpty(env.LIGHTBUS_CONFIG);
  return path === undefined ? undefined : resolvePath(path);
}

/** The caller scope: the setting (checked), else from the service name, else `anon` (callerScopeOf). */
function resolveCallerScope(setting: string | undefined, serviceName: string | undefined): string {
  try {
    return callerScopeOf({ callerScope: setting, serviceName });
  } catch (error) {
    throw new ConfigurationError(`callerScope: ${(error as Error).message}`, { setting: 'callerScope' });
  }
}
