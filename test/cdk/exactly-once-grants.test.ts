/**
 * Exactly-once listeners write their dedupe records in the results table: only the functions that
 * run one get PutItem, UpdateItem and DeleteItem, and only on their own listeners' `dedupe#` keys.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LightbusBus, LightbusService } from '../../cdk/index';

jest.setTimeout(60_000);

const MAILER = join(__dirname, 'fixtures', 'exactly-once-bus.ts');
const ENV = { account: '111111111111', region: 'eu-west-1' };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
type Resources = Record<string, { Properties: Record<string, unknown> }>;

function dynamoStatementsOf(stack: Stack, service: LightbusService, functionId: string): Statement[] {
  const template = Template.fromStack(stack);
  const roleId = stack.getLogicalId(service.functions.get(functionId)!.role!.node.defaultChild as never);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }) as Resources;
  return Object.values(policies)
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
}

function mailerService(props: Partial<ConstructorParameters<typeof LightbusService>[2]> = {}) {
  const stack = new Stack(new App(), 'Mailer', { env: ENV });
  const service = new LightbusService(stack, 'Mailer', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: MAILER, ...props });
  return { stack, service };
}

describe('exactly-once listeners: the dedupe grant', () => {
  it('marks the exactly-once listener in the topology, and only it', () => {
    const { service } = mailerService();
    const flags = Object.fromEntries(service.topology.listeners.map((l) => [l.listenerName, l.exactlyOnce]));
    expect(flags).toEqual({ countSignups: false, sendWelcomeMail: true });
  });

  it('lets the function running it put, update and delete its own dedupe# keys, and nothing else of the table', () => {
    const { stack, service } = mailerService();
    expect(dynamoStatementsOf(stack, service, 'Worker')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: expect.anything(),
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['dedupe#mailer#sendWelcomeMail#*'] },
        },
      },
    ]);
  });

  it('gives a separate function running only a plain listener no table access', () => {
    const { stack, service } = mailerService({ separateFunctions: [{ listener: 'countSignups' }] });
    expect(dynamoStatementsOf(stack, service, 'ListenerWorker-countSignups')).toEqual([]);
    expect(dynamoStatementsOf(stack, service, 'Worker')).toHaveLength(1);
  });

  it('gives a container running the module (grantRunWorker) the same dedupe grant', () => {
    const { stack, service } = mailerService();
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    service.grantRunWorker(role);
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }] } }) as Resources;
    const statements = Object.values(policies).flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: expect.anything(),
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['dedupe#mailer#sendWelcomeMail#*'] } },
    });
  });
});
