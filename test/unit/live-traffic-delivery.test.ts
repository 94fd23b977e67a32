/** The tap's messages: an SNS notification (the tap's non-raw subscriptions) is unwrapped and named by its topic; anything else is EventBridge's. */
import { readTapDelivery } from '../../local/live-traffic';
import { formatEvent, type InspectedEvent } from '../../local/cli/commands/inspect';

const envelope = JSON.stringify({ id: 'e', source: 'lightbus.math', 'detail-type': 'math.happened', detail: { id: 'x' } });

describe('readTapDelivery', () => {
  it('takes a body that is not an SNS notification as EventBridge delivered it', () => {
    expect(readTapDelivery(envelope)).toEqual({ envelope, transport: 'eventbridge' });
    expect(readTapDelivery('not json')).toEqual({ envelope: 'not json', transport: 'eventbridge' });
  });

  it('unwraps an SNS notification, with its topic, message id and transport (FIFO by the topic name)', () => {
    const notification = (topic: string) => JSON.stringify({ Type: 'Notification', MessageId: 'm-1', TopicArn: `arn:aws:sns:us-east-1:123:${topic}`, Message: envelope });
    expect(readTapDelivery(notification('shop-events-math'))).toEqual({ envelope, transport: 'sns', topic: 'shop-events-math', messageId: 'm-1' });
    expect(readTapDelivery(notification('shop-events-math.fifo'))).toMatchObject({ envelope, transport: 'sns-fifo', topic: 'shop-events-math.fifo' });
  });
});

describe('formatEvent', () => {
  const event: InspectedEvent = { v: 1, kind: 'lightbus.event', id: 'e1', api: 'math', event: 'happened', parameters: { n: 1 }, firedAt: '2026-12-06T00:00:00.000Z', eventBridgeId: 'm', transport: 'sns-fifo' } as InspectedEvent;
  it('names the transport in pretty output and in JSON', () => {
    expect(formatEvent(event, 'pretty').split('\n')[0]).toBe('2026-12-06T00:00:00.000Z  math.happened  id=e1  from unknown sender  via sns-fifo');
    expect(JSON.parse(formatEvent(event, 'json'))).toMatchObject({ transport: 'sns-fifo' });
  });
});
