/** LightbusService publishes its schemas at deploy time: a Custom::LightbusSchemas served by its own worker function. */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LightbusBus, LightbusService, type LightbusServiceProps } from '../../cdk/index';
import { lightbus, silentLogger } from '../../runtime';
import { schemaContentHash } from '../../runtime/schema';
import { authApi } from '../../examples/auth/api';

const FIXTURES = join(__dirname, 'fixtures');
const AUTH = join(__dirname, '..', '..', 'examples', 'auth', 'bus.ts');
const CUSTOMERS = join(__dirname, '..', '..', 'examples', 'customers', 'bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

/** The contract auth's module registers, built here rather than by importing the module (synth loads it afresh). */
function authHash(): string {
  const bus = lightbus.create({ busName: 'shop', serviceName: 'auth', apis: [authApi], logger: silentLogger });
  bus.register(authApi, { checkPassword: () => false, createUser: ({ username }) => ({ username, created: false }) });
  return schemaContentHash(bus);
}

function synth(busModule: string, props: Partial<LightbusServiceProps> = {}) {
  const stack = new Stack(new App(), 'Service', { env: ENV });
  const service = new LightbusService(stack, 'Service', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule, ...props });
  return { stack, service, template: Template.fromStack(stack) };
}

type CfnResource = { Properties: Record<string, unknown>; DependsOn?: string[] };

function schemaResource(template: Template): CfnResource {
  const found = Object.values(template.findResources('Custom::LightbusSchemas')) as CfnResource[];
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('LightbusService: deploy-time schema publishing', () => {
  it('declares Custom::LightbusSchemas with the worker function as its service token', () => {
    const { stack, service, template } = synth(AUTH);
    const worker = stack.getLogicalId(service.workerFunction!.node.defaultChild as never);
    const resource = schemaResource(template);
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [worker, 'Arn'] },
      BusName: 'shop',
      Service: 'auth',
      Apis: ['auth'],
      SchemaHash: authHash(),
    });
    expect(service.deployedSchemas).toEqual({ apis: ['auth'], hash: authHash() });
    // The grant is in place before the first request, and still there for the Delete.
    expect(resource.DependsOn?.some((d) => /Worker-?RoleDefaultPolicy/.test(d))).toBe(true);
    // No provider framework: the stack has no function besides the service's own.
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('keeps the default worker as the token when a listener has a function of its own', () => {
    const { stack, service, template } = synth(AUTH, { separateFunctions: [{ listener: 'createUserForCustomer' }] });
    const worker = stack.getLogicalId(service.workerFunction!.node.defaultChild as never);
    expect(schemaResource(template).Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [worker, 'Arn'] });
  });

  it('changes its properties (an Update) when a contract changes, and only then', () => {
    const v1 = schemaResource(synth(join(FIXTURES, 'inventory-v1.ts')).template).Properties;
    const v1again = schemaResource(synth(join(FIXTURES, 'inventory-v1.ts')).template).Properties;
    const v2 = schemaResource(synth(join(FIXTURES, 'inventory-v2.ts')).template).Properties;
    expect(v1again).toEqual(v1);
    expect(v2.Apis).toEqual(['inventory']);
    expect(v2.SchemaHash).toMatch(/^[0-9a-f]{16}$/);
    expect(v2.SchemaHash).not.toEqual(v1.SchemaHash);
  });

  it('gives a module that only fires events a function for publishing alone, with nothing to consume', () => {
    const { template, service } = synth(CUSTOMERS);
    expect([...service.functions.keys()]).toEqual(['Worker']);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('deploy-time schema publishing') });
    expect(schemaResource(template).Properties).toMatchObject({ Service: 'customers', Apis: ['customers'] });
  });

  it('declares nothing for a module that registers no APIs', () => {
    const { template, service } = synth(join(FIXTURES, 'tasks-only-bus.ts'));
    template.resourceCountIs('Custom::LightbusSchemas', 0);
    expect(service.schemaResource).toBeUndefined();
  });
});
