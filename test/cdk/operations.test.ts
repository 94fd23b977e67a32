/** The operations side of the constructs: the bus's history archive, and one owning service per API at synth. */
import { join } from 'node:path';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LightbusBus, LightbusService } from '../../cdk/index';
import { ConstructValidationError } from '../../runtime/errors/deployment';

const AUTH = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');
const IMPOSTOR = join(__dirname, 'fixtures', 'auth-impostor-bus.ts');
const CUSTOMERS = join(__dirname, '..', '..', 'examples', 'customers', 'bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

describe('LightbusBus history archive', () => {
  function busTemplate(props: Partial<ConstructorParameters<typeof LightbusBus>[2]> = {}) {
    const stack = new Stack(new App(), 'Bus', { env: ENV });
    const bus = new LightbusBus(stack, 'Bus', { busName: 'shop', ...props });
    return { bus, template: Template.fromStack(stack) };
  }

  it('archives every lightbus event of the bus by default, for 30 days, as <bus>-history', () => {
    const { bus, template } = busTemplate();
    template.resourceCountIs('AWS::Events::Archive', 1);
    const archive = Object.values(template.findResources('AWS::Events::Archive'))[0] as { Properties: Record<string, unknown> };
    expect(archive.Properties).toMatchObject({
      ArchiveName: 'shop-history',
      RetentionDays: 30,
      EventPattern: { source: [{ prefix: 'lightbus.' }] },
      SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^BusEventBus/), 'Arn'] },
    });
    expect(bus.archive).toBeDefined();
  });

  it('takes a retention, and can be turned off', () => {
    busTemplate({ archiveRetention: Duration.days(90) }).template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 90 });
    const off = busTemplate({ archive: false });
    off.template.resourceCountIs('AWS::Events::Archive', 0);
    expect(off.bus.archive).toBeUndefined();
  });

  it('refuses a retention that is not whole days, or one given with archive: false', () => {
    expect(() => busTemplate({ archiveRetention: Duration.hours(36) })).toThrow(
      /archiveRetention must be a whole number of days, at least 1; got 1 day 12 hours/,
    );
    expect(() => busTemplate({ archive: false, archiveRetention: Duration.days(3) })).toThrow(/archiveRetention is set but archive is false/);
  });
});

describe('LightbusBus call stream (lightbus dashboard reads it)', () => {
  function tableOf(props: Partial<ConstructorParameters<typeof LightbusBus>[2]> = {}) {
    const stack = new Stack(new App(), 'Bus', { env: ENV });
    new LightbusBus(stack, 'Bus', { busName: 'shop', ...props });
    return Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0] as { Properties: Record<string, unknown> };
  }

  it('streams new images of the results table by default, and can be turned off', () => {
    expect(tableOf().Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(tableOf({ callStream: false }).Properties.StreamSpecification).toBeUndefined();
  });
});

describe('one owning service per API, at synth', () => {
  it('refuses a second LightbusService in the app that registers the same API, naming both services', () => {
    const app = new App();
    const first = new Stack(app, 'AuthStack', { env: ENV });
    new LightbusService(first, 'Auth', { bus: LightbusBus.fromBusName(first, 'Bus', 'shop'), busModule: AUTH });
    const second = new Stack(app, 'ImpostorStack', { env: ENV });
    let error: unknown;
    try {
      new LightbusService(second, 'Impostor', { bus: LightbusBus.fromBusName(second, 'Bus', 'shop'), busModule: IMPOSTOR });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConstructValidationError);
    expect((error as Error).message).toContain(
      'ImpostorStack/Impostor: API "auth" on bus "shop" is already registered by service "auth" (AuthStack/Auth); service "impostor" may not register it too',
    );
  });

  it('allows services with different APIs, and the same API in another stage (another deployment)', () => {
    const app = new App();
    const stack = new Stack(app, 'Services', { env: ENV });
    new LightbusService(stack, 'Auth', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: AUTH });
    new LightbusService(stack, 'Customers', { bus: LightbusBus.fromBusName(stack, 'ShopBus', 'shop'), busModule: CUSTOMERS });
    const stage = new Stage(app, 'Prod');
    const prodStack = new Stack(stage, 'Impostor', { env: ENV });
    expect(() => new LightbusService(prodStack, 'Impostor', { bus: LightbusBus.fromBusName(prodStack, 'Bus', 'shop'), busModule: IMPOSTOR })).not.toThrow();
  });

  it('takeOwnership: true reaches the deploy-time schema resource (and is absent by default)', () => {
    const props = (takeOwnership?: boolean) => {
      const stack = new Stack(new App(), 'Auth', { env: ENV });
      new LightbusService(stack, 'Auth', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: AUTH, ...(takeOwnership ? { takeOwnership } : {}) });
      const resource = Object.values(Template.fromStack(stack).findResources('Custom::LightbusSchemas'))[0] as { Properties: Record<string, unknown> };
      return resource.Properties;
    };
    expect(props()).not.toHaveProperty('TakeOwnership');
    expect(props(true)).toMatchObject({ TakeOwnership: 'true' });
  });
});
