/** The configuration file: loading YAML and JSON, and validation errors that name the key and the allowed values. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, lightbus, silentLogger } from '../../runtime';
import {
  formatDuration,
  loadConfigFile,
  parseConfigText,
  parseDuration,
  resolveBusSettings,
  validateConfig,
} from '../../runtime/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lightbus-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The messages of a ConfigurationError thrown by `action`. */
function configErrors(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

const SAMPLE_YAML = `
# Shared by every service of the shop bus.
bus:
  name: shop
  logLevel: warn
  schemaTtl: 2m
  resultTtl: 1d
apis:
  default:
    rpcTimeout: 5s
    eventFireTimeout: 2s
    validate: { outgoing: true, incoming: true }
    strictValidation: false
    castValues: true
    transports: { event: eventbridge, rpc: sqs, result: dynamodb, schema: dynamodb }
  support.case:
    rpcTimeout: 30s
    validate: false
`;

describe('configuration file', () => {
  it('loads YAML into create() terms: durations in milliseconds or seconds, per-API blocks', () => {
    const layer = loadConfigFile(write('shop.yaml', SAMPLE_YAML));
    expect(layer).toMatchObject({
      busName: 'shop',
      logLevel: 'warn',
      schemaTtlSeconds: 120,
      resultTtlSeconds: 86_400,
      apiSettings: {
        default: { rpcTimeoutMs: 5000, eventFireTimeoutMs: 2000, strictValidation: false, castValues: true },
        'support.case': { rpcTimeoutMs: 30_000, validate: false },
      },
    });
  });

  it('loads JSON, and accepts a $schema key for editors', () => {
    const path = write('shop.json', JSON.stringify({ $schema: './lightbus.schema.json', bus: { name: 'shop' }, apis: { auth: { rpcTimeout: '250ms' } } }));
    expect(loadConfigFile(path)).toMatchObject({ busName: 'shop', apiSettings: { auth: { rpcTimeoutMs: 250 } } });
  });

  it('an empty file is an empty configuration', () => {
    expect(parseConfigText('', 'empty.yaml')).toEqual({ path: 'empty.yaml' });
  });

  it('create({ config }) applies the file; per-API settings reach bus.apiSettings()', () => {
    const bus = lightbus.create({ config: write('client.yaml', SAMPLE_YAML), logger: silentLogger });
    expect(bus.settings.busName).toBe('shop');
    expect(bus.apiSettings('support.case')).toMatchObject({ rpcTimeoutMs: 30_000, eventFireTimeoutMs: 2000, validate: { outgoing: false, incoming: false } });
    expect(bus.apiSettings('auth')).toMatchObject({ rpcTimeoutMs: 5000, validate: { outgoing: true, incoming: true } });
  });

  it('rejects a transport that is not supported, listing the allowed one', () => {
    const message = configErrors(() =>
      validateConfig({ apis: { default: { transports: { event: 'kafka', rpc: 'redis', result: 'redis', schema: 's3' } } } }, 'c.yaml'),
    );
    expect(message).toContain('apis.default.transports.event: event transport "kafka" is not supported; allowed: eventbridge');
    expect(message).toContain('apis.default.transports.rpc: rpc transport "redis" is not supported; allowed: sqs');
    expect(message).toContain('apis.default.transports.result: result transport "redis" is not supported; allowed: dynamodb');
    expect(message).toContain('apis.default.transports.schema: schema transport "s3" is not supported; allowed: dynamodb');
  });

  it('rejects unknown keys, listing the allowed keys (a typo does not vanish silently)', () => {
    const message = configErrors(() => validateConfig({ bus: { nmae: 'x' }, apis: { auth: { rpcTimeoutMs: 5000 } }, plugins: {} }, 'c.yaml'));
    expect(message).toContain('bus: unknown key "nmae"; allowed: name, logLevel, schemaTtl, resultTtl, workerHeartbeat, traceContext, fire, payloads, aws');
    expect(message).toContain('apis.auth: unknown key "rpcTimeoutMs"; allowed: rpcTimeout, eventFireTimeout, validate, strictValidation, castValues, transports');
    expect(message).toContain('(top level): unknown key "plugins"; allowed: $schema, serviceName, processName, bus, apis');
  });

  it('rejects durations without a unit, and zero durations', () => {
    const message = configErrors(() => validateConfig({ apis: { default: { rpcTimeout: 5, eventFireTimeout: '0s' } } }, 'c.yaml'));
    expect(message).toContain('apis.default.rpcTimeout: must be a duration with a unit, e.g. "500ms", "5s", "2m", "1h" or "1d"; got 5');
    expect(message).toContain('apis.default.eventFireTimeout: must be longer than 0; got "0s"');
    expect(message.match(/rpcTimeout/g)).toHaveLength(1);
  });

  it('rejects wrong types and values, naming the key and what was given', () => {
    const message = configErrors(() =>
      validateConfig(
        {
          bus: { name: 'my bus', logLevel: 'loud', aws: { endpoint: 'localhost:4566' } },
          apis: { 'support.case': { validate: 'yes', castValues: 'no' }, 'Bad-Name': {} },
        },
        '/etc/lightbus.yaml',
      ),
    );
    expect(message).toMatch(/^Invalid configuration in \/etc\/lightbus.yaml:/);
    expect(message).toContain('bus.name: must be letters, digits, "_" and "-"');
    expect(message).toContain('bus.logLevel: log level "loud" is not supported; allowed: debug, info, warn, error, silent');
    expect(message).toContain('bus.aws.endpoint: must be an http(s) URL; got "localhost:4566"');
    expect(message).toContain('apis["support.case"].validate: must be true, false, or a mapping { outgoing: true|false, incoming: true|false }; got "yes"');
    expect(message).toContain('apis["support.case"].castValues: must be true or false; got "no"');
    expect(message).toContain('apis["Bad-Name"]: is neither "default" nor an API name');
  });

  it('the error carries the issues as data (key and message)', () => {
    try {
      validateConfig({ apis: { default: { strictValidation: 1 } } }, 'c.yaml');
      throw new Error('expected an error');
    } catch (error) {
      expect((error as ConfigurationError).context).toEqual({
        file: 'c.yaml',
        issues: [{ key: 'apis.default.strictValidation', message: 'must be true or false; got 1' }],
      });
    }
  });

  it('reports YAML and JSON syntax errors with the file name', () => {
    expect(configErrors(() => loadConfigFile(write('dup.yaml', 'bus:\n  name: a\n  name: b\n')))).toMatch(/dup\.yaml is not valid YAML: Map keys must be unique/);
    expect(configErrors(() => loadConfigFile(write('bad.json', '{ "bus": ')))).toMatch(/bad\.json is not valid JSON/);
    expect(configErrors(() => loadConfigFile(join(dir, 'missing.yaml')))).toMatch(/Cannot read the configuration file .*missing\.yaml/);
  });

  it('a bad file fails create() (and so a worker) at start-up, not at the first call', () => {
    const path = write('bad-timeout.yaml', 'apis:\n  default:\n    rpcTimeout: soon\n');
    expect(configErrors(() => lightbus.create({ config: path, logger: silentLogger }))).toContain('apis.default.rpcTimeout');
    expect(configErrors(() => resolveBusSettings({}, { LIGHTBUS_CONFIG: path }))).toContain(path);
  });

  it('settings given in code are checked with the same care', () => {
    expect(configErrors(() => resolveBusSettings({ apiSettings: { auth: { transports: { event: 'kafka' as 'eventbridge' } } } }, {}))).toBe(
      'apiSettings.auth.transports.event: "kafka" is not supported; allowed: eventbridge, sns, sns-fifo.',
    );
    // SNS is an event transport chosen per API; the other APIs keep EventBridge.
    const settings = resolveBusSettings({ apiSettings: { auth: { transports: { event: 'sns' } } } }, {});
    expect(settings.apis.auth?.transports.event).toBe('sns');
    expect(settings.defaultApiSettings.transports.event).toBe('eventbridge');
    expect(configErrors(() => resolveBusSettings({ apiSettings: { default: { rpcTimeoutMs: 0 } } }, {}))).toContain(
      'apiSettings.default.rpcTimeoutMs must be a positive number; got 0.',
    );
    expect(configErrors(() => resolveBusSettings({}, { LIGHTBUS_LOG_LEVEL: 'chatty' }))).toContain(
      'LIGHTBUS_LOG_LEVEL: "chatty" is not a log level; allowed: debug, info, warn, error, silent.',
    );
  });

  it('durations: units ms, s, m, h, d', () => {
    expect(['250ms', '5s', '1.5m', '1h', '2d'].map(parseDuration)).toEqual([250, 5000, 90_000, 3_600_000, 172_800_000]);
    expect(parseDuration('5')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect([5000, 1500, 3_600_000].map(formatDuration)).toEqual(['5s', '1500ms', '1h']);
  });
});
