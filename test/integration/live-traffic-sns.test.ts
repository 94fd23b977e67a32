/**
 * The live-traffic tap (inspect, dashboard) on APIs whose events travel over SNS: the tap
 * subscribes its temporary queue to the bus's topics and removes the subscriptions on exit.
 */
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus } from '../../runtime';
import { uniqueName } from '../support/aws';
import { stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

describe('emulator contract: what the tap relies on', () => {
  it.each([false, true])('a topic (FIFO: %s) delivers to a standard queue, as an SNS notification naming the topic when not raw', async (fifo) => {
    const bus = track(lightbus.create(testBusOptions({})));
    const { sns, sqs } = bus.transports.clients;
    const topicName = `${uniqueName('contract')}${fifo ? '.fifo' : ''}`;
    const topic = await sns.send(new CreateTopicCommand({ Name: topicName, ...(fifo ? { Attributes: { FifoTopic: 'true' } } : {}) }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('contract-q') }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: arn, Attributes: { RawMessageDelivery: 'false' } }));
    const published = await sns.send(
      new PublishCommand({ TopicArn: topic.TopicArn, Message: JSON.stringify({ n: 1 }), ...(fifo ? { MessageGroupId: 'g', MessageDeduplicationId: 'd1' } : {}) }),
    );
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const bodies = (out.Messages ?? []).map((m) => JSON.parse(m.Body!));
    console.log(JSON.stringify(bodies, null, 1));
    expect(bodies).toEqual([expect.objectContaining({ Type: 'Notification', TopicArn: topic.TopicArn, MessageId: published.MessageId, Message: JSON.stringify({ n: 1 }) })]);
  });
});
