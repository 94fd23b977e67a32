/**
 * The bench's latency proxy in its AWS-like mode keeps SQS long polls itself (tools/latency-proxy/
 * long-poll.ts): short polls to the emulator, again when a send to the queue goes through the proxy
 * or every 100 ms. Against the real emulator: a message sent through the proxy, one sent around it
 * (as EventBridge's deliveries arrive), and an empty wait all come back as one client request, with
 * the rewritten request accepted by the emulator. (How soon is the bench's business, not a test's.)
 */
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLatencyProxy, ZERO_PROFILE, type LatencyProxy } from '../../tools/latency-proxy';
import { testEnvironment, uniqueName } from '../support/aws';

const env = testEnvironment();
let proxy: LatencyProxy;
let viaProxy: SQSClient;
const direct = new SQSClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });

beforeAll(async () => {
  proxy = await startLatencyProxy({ upstream: env.endpoint, profile: ZERO_PROFILE, longPolls: 'aws' });
  viaProxy = new SQSClient({ endpoint: proxy.endpoint, region: env.region, credentials: env.credentials });
});

afterAll(async () => {
  viaProxy.destroy();
  direct.destroy();
  await proxy.close();
});

async function queue(): Promise<string> {
  const out = await viaProxy.send(new CreateQueueCommand({ QueueName: uniqueName('lp') }));
  return out.QueueUrl as string;
}

const bodiesOf = (out: { Messages?: { Body?: string }[] }) => (out.Messages ?? []).map((m) => m.Body);

describe('latency proxy: AWS-like long polls', () => {
  it('a message sent through the proxy during a long poll comes back to that poll, as one request', async () => {
    const url = await queue();
    proxy.takeUnits();
    const polling = viaProxy.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, MaxNumberOfMessages: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await viaProxy.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'through the proxy' }));
    expect(bodiesOf(await polling)).toEqual(['through the proxy']);
    const units = proxy.takeUnits();
    expect(units['sqs.ReceiveMessage']?.requests).toBe(1);
    // Kept by the proxy: a short poll that found nothing, then another once the send went through.
    expect(units['sqs.ReceiveMessage']?.forwarded).toBeGreaterThanOrEqual(2);
    expect(units['sqs.SendMessage']?.requests).toBe(1);
  });

  it('a message that reaches the queue around the proxy is found by the periodic re-check', async () => {
    const url = await queue();
    const polling = viaProxy.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The queue URL names the proxy; the direct client sends to the emulator's own path.
    await direct.send(new SendMessageCommand({ QueueUrl: `${env.endpoint}${new URL(url).pathname}`, MessageBody: 'around the proxy' }));
    expect(bodiesOf(await polling)).toEqual(['around the proxy']);
  });

  it('an empty queue answers with no messages once the wait is over', async () => {
    const url = await queue();
    const out = await viaProxy.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(out.Messages ?? []).toEqual([]);
  });

  it('records what each call carried and how many requests a kept long poll made (the bench events scenario figures)', async () => {
    const url = await queue();
    proxy.setRecording(true);
    try {
      const polling = viaProxy.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, MaxNumberOfMessages: 10 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await viaProxy.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }));
      let received = (await polling).Messages ?? [];
      // The send's wake-up may find only part of the batch: take the rest with a second poll.
      if (received.length < 3) received = [...received, ...((await viaProxy.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }))).Messages ?? [])];
      await viaProxy.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: received.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      const records = proxy.takeRecords();
      const receives = records.filter((r) => r.op === 'ReceiveMessage');
      expect(receives.reduce((n, r) => n + (r.count ?? 0), 0)).toBe(3);
      // The first poll waited: an empty short poll, then one after the send's wake-up.
      expect(receives[0]?.forwarded).toBeGreaterThanOrEqual(2);
      expect(records.find((r) => r.op === 'SendMessageBatch')?.count).toBe(3);
      expect(records.find((r) => r.op === 'SendMessageBatch')?.forwarded).toBe(1);
      expect(records.find((r) => r.op === 'DeleteMessageBatch')?.count).toBe(3);
    } finally {
      proxy.setRecording(false);
    }
  });
});
