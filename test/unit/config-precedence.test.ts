/**
 * The precedence table of docs/configuration.md, one test per row:
 *
 *   CLI flag > create() option > configuration file > environment > default
 *
 * Each row sets every layer that setting has, to a different value, checks that the highest
 * wins, then removes the layers one by one from the top and checks the next one wins, down to
 * the default. The CLI layer goes through the real flag handling (applyCommonOptions).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveBusSettings, setProcessOverrides, type BusSettings, type BusSettingsInput } from '../../runtime/config';
import { applyCommonOptions, type CommonOptions } from '../../local/cli/common';
import { parseFeatures } from '../../local/cli/commands/run';
import { resolveBusModulePath } from '../../local/load-bus-module';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lightbus-precedence-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setProcessOverrides({}));

let fileCounter = 0;
function configFile(content: Record<string, unknown>): string {
  fileCounter += 1;
  const path = join(dir, `config-${fileCounter}.yaml`);
  writeFileSync(path, stringify(content));
  return path;
}

/** The layers of one setting, highest first; a missing layer is undefined. */
interface Layers {
  readonly cli?: CommonOptions;
  readonly create?: BusSettingsInput;
  readonly file?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

function resolveWith(layers: Layers): BusSettings {
  setProcessOverrides({});
  const env: NodeJS.ProcessEnv = { ...(layers.env ?? {}) };
  if (layers.cli) applyCommonOptions(layers.cli, env);
  const given: BusSettingsInput = { ...(layers.create ?? {}) };
  // A file layer without a file named elsewhere: name it through the lowest layer that can.
  const withFile = layers.file && given.config === undefined && env.LIGHTBUS_CONFIG === undefined && !layers.cli?.config
    ? { ...given, config: configFile(layers.file) }
    : given;
  return resolveBusSettings(withFile, env);
}

/** Checks a row: with all its layers the first wins; without it, the next; ...; then the default. */
function checkRow<T>(layers: Required<Layers> | Layers, read: (s: BusSettings) => T, expected: { cli?: T; create?: T; file?: T; env?: T; default: T }) {
  const order = ['cli', 'create', 'file', 'env'] as const;
  for (let top = 0; top <= order.length; top += 1) {
    const remaining: Layers = Object.fromEntries(order.slice(top).filter((k) => layers[k] !== undefined).map((k) => [k, layers[k]]));
    const winner = order.slice(top).find((k) => layers[k] !== undefined);
    const want = winner === undefined ? expected.default : expected[winner];
    expect({ layersFrom: order[top] ?? 'default', value: read(resolveWith(remaining)) }).toEqual({ layersFrom: order[top] ?? 'default', value: want });
  }
}

describe('configuration precedence (docs/configuration.md, one test per row)', () => {
  it('configuration file: --config > create({ config }) > LIGHTBUS_CONFIG > none', () => {
    const [a, b, c] = [configFile({ bus: { name: 'from-cli' } }), configFile({ bus: { name: 'from-create' } }), configFile({ bus: { name: 'from-env' } })];
    const layers: Layers = { cli: { config: a }, create: { config: b }, env: { LIGHTBUS_CONFIG: c } };
    checkRow(layers, (s) => [s.configFile, s.busName], {
      cli: [a, 'from-cli'],
      create: [b, 'from-create'],
      env: [c, 'from-env'],
      default: [undefined, 'lightbus'],
    });
  });

  it('bus name: --bus-name > busName > bus.name > LIGHTBUS_BUS_NAME > "lightbus"', () => {
    checkRow(
      { cli: { busName: 'cli' }, create: { busName: 'create' }, file: { bus: { name: 'file' } }, env: { LIGHTBUS_BUS_NAME: 'env' } },
      (s) => s.busName,
      { cli: 'cli', create: 'create', file: 'file', env: 'env', default: 'lightbus' },
    );
  });

  it('service name: --service-name > serviceName > serviceName > LIGHTBUS_SERVICE_NAME > none', () => {
    checkRow(
      { cli: { serviceName: 'cli' }, create: { serviceName: 'create' }, file: { serviceName: 'file' }, env: { LIGHTBUS_SERVICE_NAME: 'env' } },
      (s) => s.serviceName,
      { cli: 'cli', create: 'create', file: 'file', env: 'env', default: undefined },
    );
  });

  it('caller scope: callerScope > LIGHTBUS_CALLER_SCOPE > the service name > "anon"', () => {
    checkRow({ create: { callerScope: 'create' }, env: { LIGHTBUS_CALLER_SCOPE: 'env' } }, (s) => s.callerScope, { create: 'create', env: 'env', default: 'anon' });
    expect(resolveWith({ env: { LIGHTBUS_SERVICE_NAME: 'svc' } }).callerScope).toBe('svc');
  });

  it('process name: --process-name > processName > processName > LIGHTBUS_PROCESS_NAME > {hostname}-{pid}', () => {
    checkRow(
      { cli: { processName: 'cli' }, create: { processName: 'create' }, file: { processName: 'file' }, env: { LIGHTBUS_PROCESS_NAME: 'env-{pid}' } },
      (s) => s.processName,
      { cli: 'cli', create: 'create', file: 'file', env: `env-${process.pid}`, default: expect.stringMatching(new RegExp(`-${process.pid}$`)) as unknown as string },
    );
  });

  it('log level: --log-level > logLevel > bus.logLevel > LIGHTBUS_LOG_LEVEL > info', () => {
    checkRow(
      { cli: { logLevel: 'debug' }, create: { logLevel: 'warn' }, file: { bus: { logLevel: 'error' } }, env: { LIGHTBUS_LOG_LEVEL: 'silent' } },
      (s) => s.logLevel,
      { cli: 'debug', create: 'warn', file: 'error', env: 'silent', default: 'info' },
    );
  });

  it('endpoint: --endpoint (or --local) > aws.endpoint > bus.aws.endpoint > the SDK (AWS_ENDPOINT_URL)', () => {
    checkRow(
      {
        cli: { endpoint: 'http://cli:1' },
        create: { aws: { endpoint: 'http://create:1' } },
        file: { bus: { aws: { endpoint: 'http://file:1' } } },
      },
      (s) => s.aws.endpoint,
      { cli: 'http://cli:1', create: 'http://create:1', file: 'http://file:1', default: undefined },
    );
    // --local without --endpoint: AWS_ENDPOINT_URL, else MiniStack's default port.
    expect(resolveWith({ cli: { local: true }, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } }).aws.endpoint).toBe('http://127.0.0.1:9');
    expect(resolveWith({ cli: { local: true } }).aws.endpoint).toBe('http://127.0.0.1:4566');
  });

  it('region: aws.region > bus.aws.region > the SDK (AWS_REGION)', () => {
    checkRow({ create: { aws: { region: 'eu-west-1' } }, file: { bus: { aws: { region: 'eu-north-1' } } } }, (s) => s.aws.region, {
      create: 'eu-west-1',
      file: 'eu-north-1',
      default: undefined,
    });
  });

  it('result TTL: resultTtlSeconds > bus.resultTtl > 1h', () => {
    checkRow({ create: { resultTtlSeconds: 120 }, file: { bus: { resultTtl: '2h' } } }, (s) => s.resultTtlSeconds, {
      create: 120,
      file: 7200,
      default: 3600,
    });
  });

  it('payload offload threshold: payloads.offloadAbove > bus.payloads.offloadAbove > LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE > none', () => {
    checkRow(
      { create: { payloads: { offloadAbove: 100 } }, file: { bus: { payloads: { offloadAbove: 200 } } }, env: { LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE: '300' } },
      (s) => s.payloads.offloadAbove,
      { create: 100, file: 200, env: 300, default: undefined },
    );
  });

  it('schema TTL: schemaTtlSeconds > bus.schemaTtl > 60s', () => {
    checkRow({ create: { schemaTtlSeconds: 30 }, file: { bus: { schemaTtl: '5m' } } }, (s) => s.schemaTtlSeconds, {
      create: 30,
      file: 300,
      default: 60,
    });
  });

  it('worker heartbeat: workerHeartbeatSeconds > bus.workerHeartbeat > LIGHTBUS_WORKER_HEARTBEAT > 60s', () => {
    checkRow(
      { create: { workerHeartbeatSeconds: 15 }, file: { bus: { workerHeartbeat: '2m' } }, env: { LIGHTBUS_WORKER_HEARTBEAT: '45s' } },
      (s) => s.workerHeartbeatSeconds,
      { create: 15, file: 120, env: 45, default: 60 },
    );
    // The environment also takes a bare number of seconds; nonsense, or under 1 s, is refused naming the variable.
    expect(resolveWith({ env: { LIGHTBUS_WORKER_HEARTBEAT: '30' } }).workerHeartbeatSeconds).toBe(30);
    expect(() => resolveWith({ env: { LIGHTBUS_WORKER_HEARTBEAT: 'often' } })).toThrow(/LIGHTBUS_WORKER_HEARTBEAT: "often" is not a heartbeat interval/);
    expect(() => resolveWith({ create: { workerHeartbeatSeconds: 0.5 } })).toThrow(/workerHeartbeatSeconds must be a number of seconds ≥ 1; got 0\.5/);
  });

  it('per-API settings: an API block beats the default block; within each, create() apiSettings beat the file apis', () => {
    const apiFromCreate: BusSettingsInput = { apiSettings: { auth: { rpcTimeoutMs: 1000 }, default: { rpcTimeoutMs: 3000 } } };
    const fileAll = { apis: { auth: { rpcTimeout: '2s' }, default: { rpcTimeout: '4s' } } };
    const rpcTimeout = (layers: Layers) => resolveWith(layers);
    const auth = (s: BusSettings) => (s.apis.auth ?? s.defaultApiSettings).rpcTimeoutMs;
    expect(auth(rpcTimeout({ create: apiFromCreate, file: fileAll }))).toBe(1000);
    expect(auth(rpcTimeout({ create: { apiSettings: { default: { rpcTimeoutMs: 3000 } } }, file: fileAll }))).toBe(2000);
    expect(auth(rpcTimeout({ create: { apiSettings: { default: { rpcTimeoutMs: 3000 } } }, file: { apis: { default: { rpcTimeout: '4s' } } } }))).toBe(3000);
    expect(auth(rpcTimeout({ file: { apis: { default: { rpcTimeout: '4s' } } } }))).toBe(4000);
    expect(auth(rpcTimeout({}))).toBe(5000);
  });

  it('rpcTimeout, eventFireTimeout, validate, strictValidation, castValues, transports: defaults and file values, key by key', () => {
    const defaults = resolveWith({}).defaultApiSettings;
    expect(defaults).toEqual({
      rpcTimeoutMs: 5000,
      eventFireTimeoutMs: 5000,
      validate: { outgoing: true, incoming: true },
      strictValidation: false,
      castValues: true,
      transports: { event: 'eventbridge', rpc: 'sqs', result: 'dynamodb', schema: 'dynamodb' },
    });
    const settings = resolveWith({
      create: { apiSettings: { auth: { validate: { outgoing: true } } } },
      file: {
        apis: {
          default: { eventFireTimeout: '750ms', validate: { incoming: false }, strictValidation: true },
          auth: { castValues: false, validate: false, transports: { event: 'eventbridge', rpc: 'sqs' } },
        },
      },
    });
    expect(settings.defaultApiSettings).toMatchObject({ eventFireTimeoutMs: 750, validate: { outgoing: true, incoming: false }, strictValidation: true });
    // auth: the default block, then the file's auth block, then create()'s auth block, key by key.
    expect(settings.apis.auth).toMatchObject({
      eventFireTimeoutMs: 750,
      strictValidation: true,
      castValues: false,
      validate: { outgoing: true, incoming: false },
    });
  });

  it('bus module: --bus > LIGHTBUS_MODULE > ./bus.ts or ./bus.js', () => {
    const cwd = mkdtempSync(join(dir, 'module-'));
    for (const name of ['cli.ts', 'env.ts', 'bus.js']) writeFileSync(join(cwd, name), '');
    expect(resolveBusModulePath('cli.ts', cwd, { LIGHTBUS_MODULE: 'env.ts' })).toBe(join(cwd, 'cli.ts'));
    expect(resolveBusModulePath(undefined, cwd, { LIGHTBUS_MODULE: 'env.ts' })).toBe(join(cwd, 'env.ts'));
    expect(resolveBusModulePath(undefined, cwd, {})).toBe(join(cwd, 'bus.js'));
  });

  it('features: --only/--skip > LIGHTBUS_FEATURES > all (rpcs, events, tasks)', () => {
    const env = { LIGHTBUS_FEATURES: 'events' };
    expect(parseFeatures('rpcs', undefined, env)).toEqual({ rpcs: true, events: false, tasks: false });
    expect(parseFeatures(undefined, 'events', {})).toEqual({ rpcs: true, events: false, tasks: true });
    expect(parseFeatures(undefined, undefined, env)).toEqual({ rpcs: false, events: true, tasks: false });
    expect(parseFeatures(undefined, undefined, {})).toEqual({ rpcs: true, events: true, tasks: true });
    expect(parseFeatures('tasks', undefined, {})).toEqual({ rpcs: false, events: false, tasks: true });
    expect(parseFeatures(undefined, 'tasks', {})).toEqual({ rpcs: true, events: true, tasks: false });
  });
});
