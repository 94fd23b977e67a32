/** LightbusService renders scheduled tasks as EventBridge schedule rules invoking the worker function. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LightbusBus, LightbusService } from '../../cdk/index';
import { ConfigurationError } from '../../runtime/errors';

jest.setTimeout(60_000);

const FIXTURES = join(__dirname, 'fixtures');
const ENV = { account: '111111111111', region: 'eu-west-1' };

function buildService(module: string, app = new App()) {
  const stack = new Stack(app, 'Svc', { env: ENV });
  const service = new LightbusService(stack, 'Svc', { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule: join(FIXTURES, module) });
  return { app, stack, service };
}

function serviceStack(module: string) {
  const built = buildService(module);
  return { ...built, template: Template.fromStack(built.stack) };
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('LightbusService: scheduled tasks', () => {
  const { template, service } = serviceStack('tasks-bus.ts');
  const workerRef = { 'Fn::GetAtt': [expect.stringMatching(/^SvcWorker/), 'Arn'] };

  it('creates a schedule rule per task on the default event bus, invoking the worker with the scheduled event itself', () => {
    expect(service.topology.tasks.map((t) => t.ruleName)).toEqual(['shop-reports-task-hourlyRollup', 'shop-reports-task-nightlyReport']);
    for (const [name, expression] of [
      ['hourlyRollup', 'rate(1 hour)'],
      ['nightlyReport', 'cron(0 3 ? * MON-FRI *)'],
    ] as const) {
      const rules = template.findResources('AWS::Events::Rule', { Properties: { Name: `shop-reports-task-${name}` } });
      const [rule] = Object.values(rules) as { Properties: Record<string, unknown> }[];
      expect(rule).toBeDefined();
      expect(rule!.Properties.ScheduleExpression).toBe(expression);
      expect(rule!.Properties.EventBusName).toBeUndefined(); // the default bus
      expect(rule!.Properties.EventPattern).toBeUndefined();
      const targets = rule!.Properties.Targets as Record<string, unknown>[];
      expect(targets).toHaveLength(1);
      expect(targets[0]!.Arn).toEqual(workerRef);
      // No input of its own: the worker gets EventBridge's "Scheduled Event" (rule ARN → task, time).
      expect(targets[0]!.Input).toBeUndefined();
      expect(targets[0]!.InputTransformer).toBeUndefined();
    }
    expect(service.taskRules.size).toBe(2);
  });

  it('lets each rule invoke only the worker function, scoped to the rule ARN', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as { Properties: Record<string, unknown> }[];
    const fromEvents = permissions.filter((p) => p.Properties.Principal === 'events.amazonaws.com');
    expect(fromEvents).toHaveLength(2);
    for (const permission of fromEvents) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        FunctionName: workerRef,
        SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^SvcTaskRule/), 'Arn'] },
      });
    }
    const sources = fromEvents.map((p) => (p.Properties.SourceArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    expect(new Set(sources).size).toBe(2);
  });

  it('still feeds the listener queue to the same function', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  it('creates a worker function for a module with tasks only (timeout 30 s), with no queues', () => {
    const { template: only, service: janitor } = serviceStack('tasks-only-bus.ts');
    only.resourceCountIs('AWS::SQS::Queue', 0);
    only.resourceCountIs('AWS::Lambda::Function', 1);
    only.hasResourceProperties('AWS::Lambda::Function', { Timeout: 30 });
    only.hasResourceProperties('AWS::Events::Rule', { Name: 'shop-janitor-task-purge', ScheduleExpression: 'rate(1 day)' });
    expect(janitor.workerFunction).toBeDefined();
  });

  it('refuses tasks of seconds, which EventBridge cannot run, saying what to use instead', () => {
    expect(() => serviceStack('seconds-task-bus.ts')).toThrow(ConfigurationError);
    expect(() => serviceStack('seconds-task-bus.ts')).toThrow(
      /Scheduled task "poll" runs on rate\(30 seconds\), but EventBridge schedule rules fire at most once a minute.*whole minutes/,
    );
  });

  it('passes cdk-nag AwsSolutions with no acknowledgement', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lightbus-nag-tasks-'));
    outdirs.push(outdir);
    const app = new App({ outdir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    buildService('tasks-bus.ts', app);
    const assembly = app.synth();
    // Acknowledged findings are left out of the report too: an empty report means none at all.
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: { violations?: unknown[] }[] };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });
});
