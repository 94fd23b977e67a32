/**
 * QueueOperations.send with a stubbed SQS client (unit test): sends issued together go out as
 * SendMessageBatch calls, split by queue, by 10 entries and by the 256 KiB total; a refused entry
 * fails only its own send; an aborted send is never sent.
 */
import {
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { QueueSendError } from '../../runtime/errors';
import { MAX_SQS_MESSAGE_BYTES, QueueOperations, type AwsClients, type QueueLocator } from '../../runtime/transport';

interface Call {
  readonly command: string;
  readonly input: SendMessageBatchCommandInput;
}

type Answer = (input: SendMessageBatchCommandInput) => Partial<SendMessageBatchCommandOutput>;

/** Every entry succeeds, with message id `<queue url>#<body>`. */
const allSucceed: Answer = (input) => ({
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `${input.QueueUrl}#${e.MessageBody}`, MD5OfMessageBody: '' })),
  Failed: [],
});

function stubQueues(answer: Answer = allSucceed) {
  const calls: Call[] = [];
  const sqs = {
    send: async (command: SendMessageBatchCommand | SendMessageCommand) => {
      calls.push({ command: command.constructor.name, input: command.input as SendMessageBatchCommandInput });
      if (command instanceof SendMessageCommand) return { MessageId: 'single' };
      return answer(command.input);
    },
  };
  const locator = { url: async (name: string) => `https://sqs.local/${name}` } as unknown as QueueLocator;
  const queues = new QueueOperations({ sqs } as unknown as AwsClients, locator);
  return { queues, calls };
}

const bodiesOf = (call: Call) => (call.input.Entries ?? []).map((e) => e.MessageBody);

describe('QueueOperations.send batching', () => {
  it('sends N sends of one turn to one queue as ceil(N / 10) SendMessageBatch calls', async () => {
    const { queues, calls } = stubQueues();
    const bodies = Array.from({ length: 23 }, (_, i) => `m${i}`);
    const ids = await Promise.all(bodies.map((body) => queues.send('q', body)));
    expect(ids).toEqual(bodies.map((body) => `https://sqs.local/q#${body}`));
    expect(calls.map((c) => c.command)).toEqual(['SendMessageBatchCommand', 'SendMessageBatchCommand', 'SendMessageBatchCommand']);
    expect(calls.map((c) => c.input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap(bodiesOf)).toEqual(bodies);
  });

  it('a lone send goes out in its own turn, without waiting for company', async () => {
    const { queues, calls } = stubQueues();
    await expect(queues.send('q', 'alone')).resolves.toBe('https://sqs.local/q#alone');
    expect(calls).toHaveLength(1);
    expect(bodiesOf(calls[0]!)).toEqual(['alone']);
  });

  it('keeps queues apart: each queue gets its own batches', async () => {
    const { queues, calls } = stubQueues();
    const ids = await Promise.all([queues.send('a', 'a1'), queues.send('b', 'b1'), queues.send('a', 'a2'), queues.send('b', 'b2')]);
    expect(ids).toEqual(['https://sqs.local/a#a1', 'https://sqs.local/b#b1', 'https://sqs.local/a#a2', 'https://sqs.local/b#b2']);
    expect(calls.map((c) => [c.input.QueueUrl, bodiesOf(c)])).toEqual([
      ['https://sqs.local/a', ['a1', 'a2']],
      ['https://sqs.local/b', ['b1', 'b2']],
    ]);
  });

  it('splits a batch before its payloads would pass 256 KiB together', async () => {
    const { queues, calls } = stubQueues();
    // Three bodies of 100 KiB: two fit in one batch (200 KiB), the third would make 300 KiB.
    const big = (tag: string) => tag + 'x'.repeat(100 * 1024 - tag.length);
    await Promise.all(['1', '2', '3'].map((tag) => queues.send('q', big(tag))));
    expect(calls.map((c) => bodiesOf(c).map((b) => b?.[0]))).toEqual([['1', '2'], ['3']]);
    for (const call of calls) {
      const total = bodiesOf(call).reduce((sum, b) => sum + Buffer.byteLength(b ?? ''), 0);
      expect(total).toBeLessThanOrEqual(MAX_SQS_MESSAGE_BYTES);
    }
  });

  it('a refused entry rejects only its own send, with the SQS code and message and the queue', async () => {
    const { queues } = stubQueues((input) => ({
      Successful: (input.Entries ?? []).filter((e) => e.MessageBody !== 'bad').map((e) => ({ Id: e.Id, MessageId: `id-${e.MessageBody}`, MD5OfMessageBody: '' })),
      Failed: (input.Entries ?? [])
        .filter((e) => e.MessageBody === 'bad')
        .map((e) => ({ Id: e.Id, SenderFault: true, Code: 'InvalidMessageContents', Message: 'Invalid characters found' })),
    }));
    const results = await Promise.allSettled([queues.send('q', 'ok1'), queues.send('q', 'bad'), queues.send('q', 'ok2')]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'id-ok1' });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'id-ok2' });
    expect(results[1]!.status).toBe('rejected');
    const error = (results[1] as PromiseRejectedResult).reason as QueueSendError;
    expect(error).toBeInstanceOf(QueueSendError);
    expect(error.code).toBe('QUEUE_SEND_FAILED');
    expect(error.message).toContain('"q"');
    expect(error.message).toContain('InvalidMessageContents: Invalid characters found');
    expect(error.context).toMatchObject({ queue: 'q', sqsCode: 'InvalidMessageContents', senderFault: true });
  });

  it('a failed call rejects every send of its batch with the SDK error', async () => {
    const { queues } = stubQueues(() => {
      throw Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
    });
    const results = await Promise.allSettled([queues.send('q', 'a'), queues.send('q', 'b')]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'fulfilled'))).toEqual(['QueueDoesNotExist', 'QueueDoesNotExist']);
  });

  it('a send whose signal fires before its batch goes out is not sent and rejects with the reason', async () => {
    const { queues, calls } = stubQueues();
    const controller = new AbortController();
    const kept = queues.send('q', 'kept');
    const aborted = queues.send('q', 'aborted', undefined, controller.signal);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    await expect(kept).resolves.toBe('https://sqs.local/q#kept');
    expect(calls.flatMap(bodiesOf)).toEqual(['kept']);
  });

  it('a send with an already aborted signal is rejected without any call', async () => {
    const { queues, calls } = stubQueues();
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(queues.send('q', 'never', undefined, controller.signal)).rejects.toThrow('too late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(0);
  });

  it('sends with message attributes (dead-lettering) still go out as SendMessage with them', async () => {
    const { queues, calls } = stubQueues();
    const attributes = { reason: { DataType: 'String', StringValue: 'malformed' } };
    await expect(queues.send('dlq', 'body', attributes)).resolves.toBe('single');
    expect(calls).toEqual([
      { command: 'SendMessageCommand', input: { QueueUrl: 'https://sqs.local/dlq', MessageBody: 'body', MessageAttributes: attributes } },
    ]);
  });
});
