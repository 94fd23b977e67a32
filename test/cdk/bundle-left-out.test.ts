/**
 * LightbusService leaves the SNS client out of the worker bundle of a service with no API on SNS
 * (cdk/left-out-modules.ts): the bundle holds a stand-in that throws ModuleLeftOutError if used,
 * keeps the real client for a service that publishes over SNS, and for a bus module that uses the
 * client itself.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { bundleWorker, optionalModulesLeftOut, OPTIONAL_MODULES, workerBundleLeaveOuts } from '../../cdk/bundle';
import { LightbusBus, LightbusService } from '../../cdk/index';
import { SNS_CLIENT_LEFT_OUT, standInFileName } from '../../cdk/left-out-modules';

jest.setTimeout(120_000);

const FIXTURES = join(__dirname, 'fixtures');
const ENV = { account: '111111111111', region: 'eu-west-1' };
const SNS_STAND_IN = standInFileName('@aws-sdk/client-sns');
const REAL_SNS_CLIENT = 'node_modules/@aws-sdk/client-sns/dist-es/SNSClient.js';

function serviceBundle(id: string, busModule: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [id] } });
  const stack = new Stack(app, id, { env: ENV });
  const service = new LightbusService(stack, id, { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule });
  return service.bundle!;
}

const holdsStandIn = (inputs: readonly string[]) => inputs.some((input) => input.endsWith(`/${SNS_STAND_IN}`));
const holdsRealClient = (inputs: readonly string[]) => inputs.some((input) => input.endsWith(REAL_SNS_CLIENT));

/** Loads a bundle in a fresh process and calls the bus module's `makeSnsClient`: the client's class name, or the error's name, code and message. */
function makeSnsClientIn(bundleDirectory: string): string {
  const script =
    `require(${JSON.stringify(join(bundleDirectory, 'index.js'))});` +
    'let out; try { out = globalThis.makeSnsClient().constructor.name; } catch (e) { out = [e.name, e.code, e.message].join(" | "); }' +
    'process.stdout.write(out);';
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LIGHTBUS_BUS_NAME: 'shop', AWS_REGION: 'us-east-1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the SNS client in worker bundles', () => {
  it('is left out for a service with no API on SNS (a listener of an SNS API included): a stand-in, none of the package', () => {
    for (const [id, busModule] of [['Shipping', 'shipping-bus.ts'], ['Listener', 'sns-listener-bus.ts']] as const) {
      const bundle = serviceBundle(id, join(FIXTURES, busModule));
      expect(holdsStandIn(bundle.inputs)).toBe(true);
      expect(bundle.inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-sns/'))).toEqual([]);
    }
  });

  it('is bundled for a service that publishes over SNS (registers an API on sns)', () => {
    const bundle = serviceBundle('Orders', join(FIXTURES, 'sns-owner-bus.ts'));
    expect(holdsRealClient(bundle.inputs)).toBe(true);
    expect(holdsStandIn(bundle.inputs)).toBe(false);
  });

  it('throws ModuleLeftOutError, saying why and what to change, when a left-out client is used after all', () => {
    const bundle = bundleWorker(join(FIXTURES, 'left-out-sns-bus.ts'), { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut(), leaveOutSdkClients: [SNS_CLIENT_LEFT_OUT] });
    expect(holdsStandIn(bundle.inputs)).toBe(true);
    const [name, code, message] = makeSnsClientIn(bundle.directory).split(' | ');
    expect(name).toBe('ModuleLeftOutError');
    expect(code).toBe('MODULE_LEFT_OUT');
    expect(message).toMatch(/^SNSClient comes from the "@aws-sdk\/client-sns" package, which LightbusService left out .*transports\.event/);
  });

  it('is bundled when the bus module imports it itself, even when asked to leave it out', () => {
    const bundle = bundleWorker(join(FIXTURES, 'sns-client-bus.ts'), { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut(), leaveOutSdkClients: [SNS_CLIENT_LEFT_OUT] });
    expect(holdsStandIn(bundle.inputs)).toBe(false);
    expect(makeSnsClientIn(bundle.directory)).toBe('SNSClient');
  });

  it('saves the client\'s bytes', () => {
    const busModule = join(FIXTURES, 'shipping-bus.ts');
    const withClient = bundleWorker(busModule, { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut() });
    const without = bundleWorker(busModule, { minify: true, target: 'node20', leaveOut: optionalModulesLeftOut(), leaveOutSdkClients: [SNS_CLIENT_LEFT_OUT] });
    expect(withClient.sizeBytes - without.sizeBytes).toBeGreaterThan(20_000);
  });
});

describe("LightbusService's defaults (workerBundleLeaveOuts)", () => {
  const snsTopic = { api: 'orders', topicName: 'shop-events-orders', fifo: false };

  it('leave out ajv, yaml, zod\'s other locales and, with no topic, the SNS client', () => {
    expect(workerBundleLeaveOuts({}, { topics: [] })).toEqual({
      leaveOut: [OPTIONAL_MODULES.jsonSchemaValidator, OPTIONAL_MODULES.yamlParser],
      leaveOutSdkClients: [SNS_CLIENT_LEFT_OUT],
      leaveOutZodLocales: true,
    });
  });

  it('keep what the props ask for, and the SNS client of a service with a topic', () => {
    expect(workerBundleLeaveOuts({ bundleJsonSchemaValidator: true, bundleYamlParser: true, bundleZodLocales: true }, { topics: [snsTopic] })).toEqual({
      leaveOut: [],
      leaveOutSdkClients: [],
      leaveOutZodLocales: false,
    });
  });
});
