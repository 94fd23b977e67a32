import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors';

/** Settings that can differ per API (the `apis.<name>` blocks of the configuration file). */
export interface ApiSettings {
  /** How long a caller waits for a result, in milliseconds. @default 5000 */
  readonly rpcTimeoutMs: number;
  /** How long fire() may take, retries included, in milliseconds. @default 5000 */
  readonly eventFireTimeoutMs: number;
  /** Validate messages against the API's schema, separately for what we send and what we receive. */
  readonly validate: { readonly outgoing: boolean; readonly incoming: boolean };
  /** A missing schema is an error rather than a warning. @default false */
  readonly strictValidation: boolean;
  /** Turn incoming JSON values back into the declared types (dates, bytes, ...). @default true */
  readonly castValues: boolean;
}

export const DEFAULT_API_SETTINGS: ApiSettings = Object.freeze({
  rpcTimeoutMs: 5000,
  eventFireTimeoutMs: 5000,
  validate: Object.freeze({ outgoing: true, incoming: true }),
  strictValidation: false,
  castValues: true,
});

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
  readonly processName: string;
  readonly aws: AwsSettings;
  /** How long results stay in the results table before DynamoDB's TTL removes them. @default 3600 */
  readonly resultTtlSeconds: number;
  readonly apis: Readonly<Record<string, Partial<ApiSettings>>>;
  readonly defaultApiSettings: ApiSettings;
}

export const DEFAULT_BUS_NAME = 'lightbus';

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

/** Merges per-API overrides over the defaults. */
export function settingsForApi(settings: BusSettings, api: string): ApiSettings {
  const own = settings.apis[api] ?? {};
  const base = settings.defaultApiSettings;
  return {
    ...base,
    ...own,
    validate: { ...base.validate, ...(own.validate ?? {}) },
  };
}

export function assertPositiveNumber(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive number; got ${JSON.stringify(value)}.`, { setting: name });
  }
}
