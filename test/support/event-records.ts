/**
 * Lambda SQS records carrying a lightbus event as EventBridge delivers it to a listener queue, for
 * handler tests that need no emulator (the record shape an event source mapping passes).
 */
import type { SQSRecord } from 'aws-lambda';
import { eventDetailType, eventSource } from '../../runtime/messages';
import { eventDeliveryBody } from './stub-transports';

export interface EventRecordInput {
  readonly api: string;
  readonly event: string;
  readonly parameters: Record<string, unknown>;
  /** Makes the message id, receipt handle and event id unique. */
  readonly n: number;
  readonly traceparent?: string;
}

/** One record of `queueName`'s delivery of the event. */
export function eventRecord(queueName: string, input: EventRecordInput): SQSRecord {
  const { api, event, parameters, n, traceparent } = input;
  const detail = { v: 1, kind: 'lightbus.event', id: `e-${n}`, api, event, parameters, firedAt: new Date().toISOString(), ...(traceparent ? { traceparent } : {}) };
  const body = eventDeliveryBody({ Source: eventSource(api), DetailType: eventDetailType(api, event), Detail: JSON.stringify(detail) });
  return {
    messageId: `m-${n}`,
    receiptHandle: `r-${n}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
    awsRegion: 'us-east-1',
  };
}
