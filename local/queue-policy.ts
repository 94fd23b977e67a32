/**
 * SQS queue policy statements that let an AWS service deliver to a queue from named sources only:
 * EventBridge rules and SNS topics. Real SQS refuses such deliveries without them; the emulator does
 * not check, so a wrong statement shows only on AWS: one builder for every place that writes one.
 */
export type DeliveringService = 'events.amazonaws.com' | 'sns.amazonaws.com';

export function deliveryStatement(sid: string, service: DeliveringService, queueArn: string, sourceArns: string | readonly string[]): Record<string, unknown> {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnEquals: { 'aws:SourceArn': typeof sourceArns === 'string' ? sourceArns : [...sourceArns] } },
  };
}
