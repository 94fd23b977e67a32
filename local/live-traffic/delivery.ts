import type { EventTransportName } from '../../runtime/topology';

/**
 * One message on the tap's temporary queue, with the transport it came over. EventBridge delivers
 * its envelope as the body; the tap's SNS subscriptions are not raw, so SNS wraps the same
 * envelope (what lightbus published) in a notification that names the topic: that is how the tap
 * tells the transports apart and knows SNS's message id (what `fire()` reports as `eventBridgeId`).
 */
export interface TapDelivery {
  /** The EventBridge-shaped envelope, as JSON text: what a listener queue receives either way. */
  readonly envelope: string;
  readonly transport: EventTransportName;
  /** Over SNS: the topic's name and SNS's message id. */
  readonly topic?: string;
  readonly messageId?: string;
}

interface SnsNotification {
  readonly Type: 'Notification';
  readonly TopicArn: string;
  readonly MessageId?: string;
  readonly Message: string;
}

function isSnsNotification(value: unknown): value is SnsNotification {
  const v = value as Partial<SnsNotification> | null;
  return typeof v === 'object' && v !== null && v.Type === 'Notification' && typeof v.TopicArn === 'string' && typeof v.Message === 'string';
}

/** Reads a tap message's body; a body that is not an SNS notification is taken as EventBridge's delivery (the parser judges it). */
export function readTapDelivery(body: string): TapDelivery {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { envelope: body, transport: 'eventbridge' };
  }
  if (!isSnsNotification(json)) return { envelope: body, transport: 'eventbridge' };
  const topic = json.TopicArn.slice(json.TopicArn.lastIndexOf(':') + 1);
  return {
    envelope: json.Message,
    transport: topic.endsWith('.fifo') ? 'sns-fifo' : 'sns',
    topic,
    ...(typeof json.MessageId === 'string' ? { messageId: json.MessageId } : {}),
  };
}
