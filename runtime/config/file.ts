import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
// A namespace import: bundlers keep the zod code used. `import { z }` keeps all of zod, its locales too (~360 kB).
import * as z from 'zod';
import { ConfigurationError } from '../errors';
import { requireOptional } from '../modules';
import { LOG_LEVELS } from '../logging';
import { FIRE_DELIVERY_MODES, MAX_LINGER_MS, TRANSPORT_CHOICES, type ApiSettingsInput, type FireSettings } from './bus-config';
import { DURATION_HINT, DURATION_PATTERN, parseDuration } from './duration';

/**
 * The configuration file: one YAML or JSON file shared by every service of a bus. Its schema is
 * defined once, here; `lightbus dumpconfigschema` prints the JSON Schema generated from it, and
 * docs/configuration.md documents it key by key.
 */

/** A strict object whose unknown keys fail with the list of keys it allows. */
function block<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed}`
        : issue.code === 'invalid_type'
          ? `must be a mapping with the keys ${allowed}`
          : undefined,
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) => `${what} ${JSON.stringify(issue.input)} is not supported; allowed: ${values.join(', ')}`,
  });
}

const duration = (description: string) =>
  z
    .string({ error: `must be ${DURATION_HINT}` })
    .regex(DURATION_PATTERN, { error: `must be ${DURATION_HINT}`, abort: true })
    .refine((value) => (parseDuration(value) ?? 0) > 0, { error: 'must be longer than 0' })
    .describe(`${description} A duration with a unit: ms, s, m, h or d (e.g. "5s").`);

const flag = (description: string) => z.boolean({ error: 'must be true or false' }).describe(description);

const IDENTIFIER = '[A-Za-z][A-Za-z0-9_]*';
/** `default`, or a dotted API name such as `auth` or `support.case`. */
const API_KEY_PATTERN = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})*$`);
/** Bus, service and process names become parts of AWS resource names. */
const RESOURCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Service and process names may hold placeholders, expanded at start-up. */
const NAME_TEMPLATE_PATTERN = /^[A-Za-z0-9{][A-Za-z0-9_{}-]*$/;

// The schemas are built on first use, not at import: building zod schemas costs milliseconds, and
// every Lambda cold start imports this module while few processes ever read a file.
function buildApiBlockSchema() {
  return block({
  rpcTimeout: duration('How long a caller waits for an RPC result before failing with a timeout. Default 5s.').optional(),
  eventFireTimeout: duration('How long fire() may take, retries included. Default 5s.').optional(),
  validate: z
    .union([flag('Both directions on or off.'), block({ outgoing: flag('Validate what this process sends.').optional(), incoming: flag('Validate what this process receives.').optional() })], {
      error: 'must be true, false, or a mapping { outgoing: true|false, incoming: true|false }',
    })
    .describe('Validate messages against the API schema. Default true (both directions).')
    .optional(),
  strictValidation: flag('Treat a missing schema as an error rather than a warning. Default false.').optional(),
  castValues: flag('Turn incoming JSON values back into the declared types (dates, bytes, ...). Default true.').optional(),
  transports: block({
    event: oneOf(TRANSPORT_CHOICES.event, 'event transport').describe('Default eventbridge.').optional(),
    rpc: oneOf(TRANSPORT_CHOICES.rpc, 'rpc transport').describe('Default sqs.').optional(),
    result: oneOf(TRANSPORT_CHOICES.result, 'result transport').describe('Default dynamodb.').optional(),
    schema: oneOf(TRANSPORT_CHOICES.schema, 'schema transport').describe('Default dynamodb.').optional(),
  })
    .describe('Which transport carries each kind of message.')
    .optional(),
  orderedBy: z
    .string({ error: 'must be a parameter name' })
    .regex(new RegExp(`^${IDENTIFIER}$`), { error: 'must be a parameter name (letters, digits and "_", starting with a letter)' })
    .describe('With transports.event: sns-fifo, the parameter whose value is the message group of each event (what ordered listeners order by).')
    .optional(),
}).describe('Settings of one API (or of every API, in the `default` block).');
}

function buildConfigFileSchema() {
  return block({
  $schema: z.string().describe('The JSON Schema of this file (for editors); ignored by lightbus.').optional(),
  serviceName: z
    .string()
    .regex(NAME_TEMPLATE_PATTERN, { error: 'must be letters, digits, "_", "-" and placeholders {hostname} {pid} {random4} {friendly}' })
    .describe('Service name: the prefix of listener queues. Usually set per service (create() or --service-name), not here.')
    .optional(),
  processName: z
    .string()
    .min(1, { error: 'must not be empty' })
    .describe('Process name, for logs and message senders. Placeholders: {hostname} {pid} {random4} {friendly}. Default {hostname}-{pid}.')
    .optional(),
  bus: block({
    name: z
      .string({ error: 'must be a string' })
      .regex(RESOURCE_NAME_PATTERN, { error: 'must be letters, digits, "_" and "-", starting with a letter or digit (it becomes part of AWS resource names)' })
      .describe('Name of the bus; every AWS resource name derives from it. Default lightbus.')
      .optional(),
    logLevel: oneOf(LOG_LEVELS as unknown as readonly [string, ...string[]], 'log level').describe('Default info.').optional(),
    schemaTtl: duration('How long a published API schema stays valid unless its worker refreshes it. Default 60s.').optional(),
    resultTtl: duration('How long RPC results stay in the results table (whole seconds, rounded up). Default 1h.').optional(),
    workerHeartbeat: duration('How often a running worker reports its state on the bus (whole seconds, rounded up). Default 60s.').optional(),
    traceContext: z
      .boolean({ error: 'must be true or false' })
      .describe('Whether W3C trace context (traceparent) is carried on what this process sends and continued from what it receives, with spans, trace scopes and traceId on log lines. Default true.')
      .optional(),
    fire: block({
      delivery: oneOf(FIRE_DELIVERY_MODES, 'fire delivery')
        .describe('confirmed: fire() resolves once EventBridge accepted the event. buffered: fire() resolves once queued; bus.flush() confirms. Default confirmed.')
        .optional(),
      linger: z
        .string({ error: `must be ${DURATION_HINT}` })
        .regex(DURATION_PATTERN, { error: `must be ${DURATION_HINT}` })
        // An event's eventFireTimeout runs while it lingers: a long linger only loses events.
        .refine((value) => (parseDuration(value) ?? 0) <= MAX_LINGER_MS, { error: `must be at most ${MAX_LINGER_MS}ms` })
        .describe(`Buffered delivery: how long a partly filled PutEvents batch waits for more events, at most ${MAX_LINGER_MS}ms; "0ms" sends on the next turn of the event loop. A duration with a unit: ms, s, m, h or d. Default 5ms.`)
        .optional(),
      maxBuffered: z
        .number({ error: 'must be a whole number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be at least 1' })
        .describe('Buffered delivery: events queued or in flight at most; fire() waits for room beyond it. Default 1000.')
        .optional(),
    })
      .describe('How fire() delivers events (docs/concepts.md, "Delivery: confirmed or buffered").')
      .optional(),
    payloads: block({
      offloadAbove: z
        .number({ error: 'must be a whole number of bytes' })
        .int({ error: 'must be a whole number of bytes' })
        .min(1, { error: 'must be at least 1' })
        .describe("Offload a payload to the bus's payload bucket when its encoded message is larger than this many bytes. Default: only when the transport cannot take it (256 KiB for SQS and EventBridge, 380 KiB for results).")
        .optional(),
    })
      .describe('When payloads (parameters, results) travel through the payload bucket (docs/wire-format.md, "Large payloads").')
      .optional(),
    aws: block({
      region: z.string().min(1).describe('AWS region. Default: the AWS SDK resolution (AWS_REGION, profile).').optional(),
      endpoint: z
        .string()
        .regex(/^https?:\/\//, { error: 'must be an http(s) URL' })
        .describe('An AWS-compatible endpoint (MiniStack, LocalStack). Default: the AWS SDK resolution (AWS_ENDPOINT_URL).')
        .optional(),
    })
      .describe('Where the AWS SDK clients connect.')
      .optional(),
  })
    .describe('Bus-wide settings.')
    .optional(),
  apis: z
    .record(
      z.string().regex(API_KEY_PATTERN, { error: 'is neither "default" nor an API name (dotted identifiers such as auth or support.case)' }),
      buildApiBlockSchema(),
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be a mapping of API names to settings' : undefined) },
    )
    .describe('Per-API settings: a `default` block for every API, and blocks named after APIs (e.g. `support.case`) that override it.')
    .optional(),
}).describe('lightbus-aws configuration, shared by every service of a bus.');
}

let configFileSchemaInstance: ReturnType<typeof buildConfigFileSchema> | undefined;

/** The configuration file's schema (zod): the one definition of the file's format. */
export function configFileSchema(): ReturnType<typeof buildConfigFileSchema> {
  configFileSchemaInstance ??= buildConfigFileSchema();
  return configFileSchemaInstance;
}

/** The configuration file as written (durations still strings). */
export type ConfigFile = z.input<ReturnType<typeof configFileSchema>>;

/** The JSON Schema of the configuration file, for editors (`lightbus dumpconfigschema`). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configFileSchema(), { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://lightbus-aws.dev/schemas/config.json',
    title: 'lightbus-aws configuration',
    ...schema,
  };
}

/** One layer of settings read from a file, in create()'s terms (milliseconds, seconds). */
export interface ConfigFileLayer {
  readonly path: string;
  readonly busName?: string;
  readonly serviceName?: string;
  readonly processName?: string;
  readonly logLevel?: (typeof LOG_LEVELS)[number];
  readonly resultTtlSeconds?: number;
  readonly schemaTtlSeconds?: number;
  readonly workerHeartbeatSeconds?: number;
  readonly traceContext?: boolean;
  readonly fire?: Partial<FireSettings>;
  readonly payloads?: { readonly offloadAbove?: number };
  readonly aws?: { readonly region?: string; readonly endpoint?: string };
  readonly apiSettings?: Readonly<Record<string, ApiSettingsInput>>;
}

/** Reads, parses and validates a configuration file; throws ConfigurationError naming the key. */
export function loadConfigFile(path: string, cwd: string = process.cwd()): ConfigFileLayer {
  const absolute = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`Cannot read the configuration file ${absolute}: ${(error as Error).message}`, { file: absolute });
  }
  return parseConfigText(text, absolute);
}

/** Parses configuration text (YAML, or JSON for `.json` files) and validates it. */
export function parseConfigText(text: string, source: string): ConfigFileLayer {
  let data: unknown;
  if (extname(source).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ConfigurationError(`The configuration file ${source} is not valid JSON: ${(error as Error).message}`, { file: source });
    }
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const YAML = requireOptional('yaml', `Reading the YAML configuration file ${source}`, () => require('yaml') as typeof import('yaml'));
    const document = YAML.parseDocument(text, { uniqueKeys: true });
    const first = document.errors[0];
    if (first) {
      throw new ConfigurationError(`The configuration file ${source} is not valid YAML: ${first.message}`, { file: source });
    }
    data = document.toJS();
  }
  return validateConfig(data ?? {}, source);
}

/** Validates parsed configuration data and converts it to a settings layer. */
export function validateConfig(data: unknown, source: string): ConfigFileLayer {
  const parsed = configFileSchema().safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => describeIssue(issue, data));
    throw new ConfigurationError(
      `Invalid configuration in ${source}:\n${issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n')}`,
      { file: source, issues },
    );
  }
  return toLayer(parsed.data, source);
}

interface ConfigIssue {
  /** The key, as a path: `apis["support.case"].rpcTimeout`. */
  readonly key: string;
  readonly message: string;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): ConfigIssue[] {
  const path = issue.path;
  if (issue.code === 'invalid_key') {
    // A record key that is not an API name: report the key itself.
    const inner = issue.issues[0];
    return [{ key: keyPath(path), message: inner?.message ?? issue.message }];
  }
  const at = valueAt(data, path);
  const got = at === undefined || issue.code === 'unrecognized_keys' || issue.code === 'invalid_value' ? '' : `; got ${show(at)}`;
  return [{ key: path.length === 0 ? '(top level)' : keyPath(path), message: `${issue.message}${got}` }];
}

function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      const text = String(segment);
      if (typeof segment === 'number') return `[${text}]`;
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(text)) return `[${JSON.stringify(text)}]`;
      return index === 0 ? text : `.${text}`;
    })
    .join('');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

type ParsedConfig = z.output<ReturnType<typeof configFileSchema>>;
type ParsedApiBlock = z.output<ReturnType<typeof buildApiBlockSchema>>;

function ms(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}

function seconds(value: string | undefined): number | undefined {
  const millis = ms(value);
  return millis === undefined ? undefined : Math.ceil(millis / 1000);
}

function toApiSettings(block: ParsedApiBlock): ApiSettingsInput {
  return definedOnly({
    rpcTimeoutMs: ms(block.rpcTimeout),
    eventFireTimeoutMs: ms(block.eventFireTimeout),
    validate: typeof block.validate === 'object' ? definedOnly(block.validate) : block.validate,
    strictValidation: block.strictValidation,
    castValues: block.castValues,
    transports: block.transports && definedOnly(block.transports),
    orderedBy: block.orderedBy,
  });
}

function toLayer(config: ParsedConfig, path: string): ConfigFileLayer {
  const bus = config.bus ?? {};
  return definedOnly({
    path,
    busName: bus.name,
    serviceName: config.serviceName,
    processName: config.processName,
    logLevel: bus.logLevel as ConfigFileLayer['logLevel'],
    resultTtlSeconds: seconds(bus.resultTtl),
    schemaTtlSeconds: seconds(bus.schemaTtl),
    workerHeartbeatSeconds: seconds(bus.workerHeartbeat),
    traceContext: bus.traceContext,
    fire: bus.fire
      ? definedOnly({ delivery: bus.fire.delivery, lingerMs: ms(bus.fire.linger), maxBuffered: bus.fire.maxBuffered })
      : undefined,
    payloads: bus.payloads && definedOnly(bus.payloads),
    aws: bus.aws,
    apiSettings: config.apis
      ? Object.fromEntries(Object.entries(config.apis).map(([api, settings]) => [api, toApiSettings(settings)]))
      : undefined,
  }) as ConfigFileLayer;
}

function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
