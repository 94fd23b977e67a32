import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors';
import type { LogLevel } from '../logging';

/**
 * The transports a bus can use, per kind. Events travel over EventBridge (the default) or an SNS
 * topic per API (docs/transports.md); the other kinds have one transport each, named anyway so
 * that a file written now stays valid when others are added, and a value we do not support fails
 * on load instead of being ignored.
 */
export const TRANSPORT_CHOICES = {
  event: ['eventbridge', 'sns', 'sns-fifo'],
  rpc: ['sqs'],
  result: ['dynamodb'],
  schema: ['dynamodb'],
} as const;

export type TransportKind = keyof typeof TRANSPORT_CHOICES;

export interface TransportSettings {
  /**
   * Where events are fired and listened to: the bus's EventBridge bus, an SNS topic of the API
   * (`<bus>-events-<api>`), or an SNS FIFO topic (`<bus>-events-<api>.fifo`, whose events carry a
   * message group per {@link ApiSettings.orderedBy} value: what ordered listeners need). Every
   * service on the bus must give an API the same. @default 'eventbridge'
   */
  readonly event: (typeof TRANSPORT_CHOICES.event)[number];
  /** Where RPC requests are queued. @default 'sqs' */
  readonly rpc: (typeof TRANSPORT_CHOICES.rpc)[number];
  /** Where RPC results are written and read. @default 'dynamodb' */
  readonly result: (typeof TRANSPORT_CHOICES.result)[number];
  /** Where API schemas are published and loaded. @default 'dynamodb' */
  readonly schema: (typeof TRANSPORT_CHOICES.schema)[number];
}

export interface ValidateSettings {
  /** Validate what this process sends (call parameters, fired events, returned results). */
  readonly outgoing: boolean;
  /** Validate what this process receives (results, delivered events, incoming calls). */
  readonly incoming: boolean;
}

/** Settings that can differ per API (the `apis.<name>` blocks of the configuration file). */
export interface ApiSettings {
  /** How long a caller waits for a result, in milliseconds. @default 5000 */
  readonly rpcTimeoutMs: number;
  /** How long fire() may take, retries included, in milliseconds. @default 5000 */
  readonly eventFireTimeoutMs: number;
  /** Validate messages against the API's schema, separately for what we send and what we receive. */
  readonly validate: ValidateSettings;
  /** A missing schema is an error rather than a warning. @default false */
  readonly strictValidation: boolean;
  /** Turn incoming JSON values back into the declared types (dates, bytes, ...). @default true */
  readonly castValues: boolean;
  /** Which transport carries each kind of message. */
  readonly transports: TransportSettings;
  /**
   * On `transports.event: sns-fifo`: the parameter whose value is each event's message group, so
   * that events with the same value reach ordered listeners (`listen(..., { ordered: { by } })`)
   * in the order they were fired. An event without that parameter goes in one group per event
   * name. Every service on the bus must give an API the same. @default none
   */
  readonly orderedBy?: string;
}

/**
 * Per-API settings as given by a user (create()'s `apiSettings`, or converted from the file's
 * `apis` blocks): everything optional; `validate: false` is short for both directions.
 */
export interface ApiSettingsInput {
  readonly rpcTimeoutMs?: number;
  readonly eventFireTimeoutMs?: number;
  readonly validate?: boolean | Partial<ValidateSettings>;
  readonly strictValidation?: boolean;
  readonly castValues?: boolean;
  readonly transports?: Partial<TransportSettings>;
  readonly orderedBy?: string;
}

export const DEFAULT_API_SETTINGS: ApiSettings = Object.freeze({
  rpcTimeoutMs: 5000,
  eventFireTimeoutMs: 5000,
  validate: Object.freeze({ outgoing: true, incoming: true }),
  strictValidation: false,
  castValues: true,
  transports: Object.freeze({ event: 'eventbridge', rpc: 'sqs', result: 'dynamodb', schema: 'dynamodb' }),
});

/**
 * How fire() hands events to EventBridge.
 * - `confirmed`: fire() resolves once EventBridge has accepted the event (or rejects).
 * - `buffered`: fire() resolves once the event is queued; `bus.flush()` confirms delivery.
 */
export const FIRE_DELIVERY_MODES = ['confirmed', 'buffered'] as const;
export type FireDelivery = (typeof FIRE_DELIVERY_MODES)[number];

/** Settings of fire() for the whole bus client (the file's `bus.fire` block, create()'s `fire`). */
export interface FireSettings {
  /** @default 'confirmed' */
  readonly delivery: FireDelivery;
  /**
   * Buffered delivery: how long a partly filled PutEvents batch waits for more events before it
   * goes out (a full batch, 10 entries or 256 KB, goes at once; flush() sends at once). At most
   * {@link MAX_LINGER_MS}. @default 5
   */
  readonly lingerMs: number;
  /**
   * Buffered delivery: events queued or in flight at most; fire() waits for room beyond it, so a
   * producer faster than EventBridge is slowed down instead of growing the buffer (if it awaits
   * fire()). Also the most failures kept for the next flush(); the rest are logged and counted.
   * @default 1000
   */
  readonly maxBuffered: number;
}

/**
 * The longest `fire.linger` accepted. An event's eventFireTimeout runs while it waits in the open
 * batch, so a long linger only loses events; and setTimeout overflows past 2^31 ms.
 */
export const MAX_LINGER_MS = 1000;

export const DEFAULT_FIRE_SETTINGS: FireSettings = Object.freeze({ delivery: 'confirmed', lingerMs: 5, maxBuffered: 1000 });

/** When payloads leave their message for the bus's payload bucket (the file's `bus.payloads`, create()'s `payloads`). */
export interface PayloadSettings {
  /**
   * Offload a message's payload (parameters, result) when the encoded message is larger than this
   * many bytes, even if its transport would take it. Above a transport's own limit (less headroom:
   * runtime/payloads/limits.ts) payloads are offloaded whatever this says.
   * @default - only what a transport cannot take
   */
  readonly offloadAbove?: number;
}

/** Where the AWS SDK clients connect. */
export interface AwsSettings {
  /** @default the SDK's own resolution (AWS_REGION, profile, ...) */
  readonly region?: string;
  /** An AWS-compatible endpoint (LocalStack, MiniStack). @default the SDK's own (AWS_ENDPOINT_URL, or AWS) */
  readonly endpoint?: string;
}

/** The settings of one bus client, fully resolved. */
export interface BusSettings {
  readonly busName: string;
  readonly serviceName: string | undefined;
  /** The scope of this client's call ids (runtime/topology/table-keys.ts, callerScopeOf). */
  readonly callerScope: string;
  readonly processName: string;
  readonly aws: AwsSettings;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /** How long results stay in the results table before DynamoDB's TTL removes them. @default 3600 */
  readonly resultTtlSeconds: number;
  /** How long a published API schema stays valid unless its worker refreshes it. @default 60 */
  readonly schemaTtlSeconds: number;
  /**
   * How often a running worker reports its state on the bus (heartbeat; runtime/worker-state). A
   * worker's entry counts as stale after two intervals without one. @default 60
   */
  readonly workerHeartbeatSeconds: number;
  /** Whether W3C trace context is carried (on the wire, in spans, scopes and log lines). @default true */
  readonly traceContext: boolean;
  /** How fire() delivers events: confirmed (the default) or buffered. */
  readonly fire: FireSettings;
  /** When payloads go to the payload bucket instead of inline. */
  readonly payloads: PayloadSettings;
  /** Settings of each API named in the configuration (the `default` block already merged in). */
  readonly apis: Readonly<Record<string, ApiSettings>>;
  /** Settings of every other API (the `default` block over the built-in defaults). */
  readonly defaultApiSettings: ApiSettings;
  /** The configuration file these settings were read from, if any (absolute path). */
  readonly configFile: string | undefined;
}

export const DEFAULT_BUS_NAME = 'lightbus';
export const DEFAULT_PROCESS_NAME = '{hostname}-{pid}';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_RESULT_TTL_SECONDS = 3600;
export const DEFAULT_SCHEMA_TTL_SECONDS = 60;
export const DEFAULT_WORKER_HEARTBEAT_SECONDS = 60;

const FRIENDLY_WORDS = ['amber', 'brisk', 'calm', 'dapper', 'eager', 'fuzzy', 'gentle', 'hazel', 'ivory', 'jolly'];
const FRIENDLY_NOUNS = ['otter', 'badger', 'heron', 'lynx', 'marten', 'puffin', 'stoat', 'vole', 'wren', 'yak'];

/** Expands Lightbus's name placeholders: {hostname} {pid} {random4} {friendly}. */
export function expandNamePlaceholders(template: string): string {
  return template.replace(/\{(hostname|pid|random4|friendly)\}/g, (_, key: string) => {
    switch (key) {
      case 'hostname':
        return hostname().replace(/[^A-Za-z0-9_-]/g, '-');
      case 'pid':
        return String(process.pid);
      case 'random4':
        return randomBytes(2).toString('hex');
      default: {
        const [a, b] = randomBytes(2);
        return `${FRIENDLY_WORDS[(a ?? 0) % FRIENDLY_WORDS.length]}-${FRIENDLY_NOUNS[(b ?? 0) % FRIENDLY_NOUNS.length]}`;
      }
    }
  });
}

/** The settings of one API: its own block if the configuration has one, else the default block. */
export function settingsForApi(settings: BusSettings, api: string): ApiSettings {
  return settings.apis[api] ?? settings.defaultApiSettings;
}

export function assertPositiveNumber(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive number; got ${JSON.stringify(value)}.`, { setting: name });
  }
}
