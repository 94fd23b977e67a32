/**
 * An API on SNS (`transports.event: sns`) in the constructs: its owning service makes the topic
 * and may publish to it only; a listening service subscribes its listener queues (raw delivery,
 * body filter) to the topic found by name, and the queue policy admits that topic only.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LightbusBus, LightbusService } from '../../cdk/index';

jest.setTimeout(60_000);

const ENV = { account: '111111111111', region: 'eu-west-1' };
const OWNER = join(__dirname, 'fixtures', 'sns-owner-bus.ts');
const LISTENER = join(__dirname, 'fixtures', 'sns-listener-bus.ts');
const topicArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:111111111111:shop-events-orders']] };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function serviceStack(id: string, busModule: string) {
  const app = new App();
  const stack = new Stack(app, id, { env: ENV });
  const service = new LightbusService(stack, id, { bus: LightbusBus.fromBusName(stack, 'Bus', 'shop'), busModule });
  return { stack, service, template: Template.fromStack(stack) };
}

function allStatements(template: Template, type: string, key: string): Statement[] {
  return Object.values(template.findResources(type) as Record<string, { Properties: Record<string, { Statement: Statement[] }> }>).flatMap(
    (r) => r.Properties[key]!.Statement,
  );
}

describe('the owning service of an API on SNS', () => {
  const { template, service } = serviceStack('Orders', OWNER);

  it('makes the API topic, named by convention, TLS-only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'shop-events-orders' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', Match.objectLike({}));
    expect([...service.eventTopics.topics.keys()]).toEqual(['shop-events-orders']);
  });

  it('may publish to that topic only, and fire the EventBridge API by its source only', () => {
    const statements = allStatements(template, 'AWS::IAM::Policy', 'PolicyDocument');
    const publish = statements.filter((s) => actions(s).some((a) => a.startsWith('sns:')));
    expect(publish).toHaveLength(1);
    expect(actions(publish[0]!)).toEqual(['sns:Publish']);
    expect(publish[0]!.Resource).toEqual(topicArn);
    const putEvents = statements.filter((s) => actions(s).includes('events:PutEvents'));
    expect(putEvents.map((s) => s.Condition)).toEqual([{ StringEquals: { 'events:source': ['lightbus.payments'] } }]);
  });

  it('tells its functions where topic ARNs are (LIGHTBUS_TOPIC_ARN_PREFIX)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LIGHTBUS_TOPIC_ARN_PREFIX: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:111111111111:']] } }) },
    });
  });
});

describe('a listening service of an API on SNS', () => {
  const { template } = serviceStack('Billing', LISTENER);

  it('subscribes each listener queue to the topic found by name: raw delivery, filtered on the body to its events', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: topicArn,
      RawMessageDelivery: true,
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { source: ['lightbus.orders'], 'detail-type': ['orders.placed'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { source: ['lightbus.orders'], 'detail-type': ['orders.cancelled'] },
    });
  });

  it('keeps a rule only for the listener of an EventBridge API, for that API only', () => {
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', { Name: 'shop-billing-ledger', EventPattern: { source: ['lightbus.payments'], 'detail-type': ['payments.settled'] } });
  });

  it('lets the topic send to its listener queues (aws:SourceArn), and grants no publish rights', () => {
    const queuePolicies = allStatements(template, 'AWS::SQS::QueuePolicy', 'PolicyDocument');
    const fromTopic = queuePolicies.filter((s) => JSON.stringify(s.Principal ?? '').includes('sns.amazonaws.com'));
    expect(fromTopic).toHaveLength(2);
    for (const s of fromTopic) {
      expect(actions(s)).toEqual(['sqs:SendMessage']);
      expect(s.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': topicArn } });
    }
    const statements = allStatements(template, 'AWS::IAM::Policy', 'PolicyDocument');
    expect(statements.filter((s) => actions(s).some((a) => a.startsWith('sns:')))).toEqual([]);
  });
});

describe('an ordered listener of an API on sns-fifo', () => {
  const { template } = serviceStack('Shipments', join(__dirname, 'fixtures', 'sns-fifo-bus.ts'));

  it('makes a FIFO topic (deduplicated by the event id each message carries) and FIFO listener and dead-letter queues', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'shop-events-shipments.fifo', FifoTopic: true });
    const topic = Object.values(template.findResources('AWS::SNS::Topic'))[0] as { Properties: Record<string, unknown> };
    expect(topic.Properties.ContentBasedDeduplication).not.toBe(true);
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'shop-listen-shipments-track.fifo', FifoQueue: true });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'shop-listen-shipments-track-dlq.fifo', FifoQueue: true });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true, FilterPolicyScope: 'MessageBody' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('sets the FIFO redrive far past maxReceives (the worker counts runs: held-back receives must not move a message) and lets the worker count its runs', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-listen-shipments-track.fifo',
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 100 }),
    });
    const attempts = allStatements(template, 'AWS::IAM::Policy', 'PolicyDocument').filter((s) => JSON.stringify(s.Condition ?? {}).includes('attempts#'));
    expect(attempts).toHaveLength(1);
    expect(actions(attempts[0]!)).toEqual(['dynamodb:UpdateItem']);
    expect(attempts[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['attempts#shipments#track#*'] } });
  });
});
