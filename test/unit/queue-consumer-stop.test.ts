/**
 * How the local worker's QueueConsumer stops (issue #10, item 1), against a stubbed SQS client: it
 * never abandons a long poll that can still take messages, gives back whatever such a poll
 * returns, and returns every unfinished message at the drain timeout: both once none of its own
 * polls is under way, so that it does not receive them again itself.
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { QueueConsumer } from '../../local';
import { silentLogger } from '../../runtime';
import type { Dispatcher, DispatchOutcome } from '../../runtime/dispatch';
import type { AwsClients, QueueOperations } from '../../runtime/transport';

function harness(dispatch: () => Promise<DispatchOutcome>, options: { visibilityTimeoutSeconds?: number; extension?: () => Promise<void>; pollers?: number } = {}) {
  const receives: { answer: (messages: Message[]) => void; aborted: () => boolean }[] = [];
  const sqs = {
    send: (command: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (!(command instanceof ReceiveMessageCommand)) return Promise.resolve({});
      return new Promise((resolve) => {
        receives.push({ answer: (Messages) => resolve({ Messages }), aborted: () => options?.abortSignal?.aborted === true });
      });
    },
  };
  const visibility: { receiptHandle: string; seconds: number }[] = [];
  const deleted: string[] = [];
  const queues = {
    delete: (_q: string, receiptHandle: string) => (deleted.push(receiptHandle), Promise.resolve()),
    changeVisibility: (_q: string, receiptHandle: string, seconds: number) => {
      visibility.push({ receiptHandle, seconds });
      return seconds > 0 && options.extension ? options.extension() : Promise.resolve();
    },
  } as unknown as QueueOperations;
  let dispatched = 0;
  const dispatcher = {
    dispatch: () => ((dispatched += 1), dispatch()),
    visibilityTimeoutSeconds: () => 30,
  } as unknown as Dispatcher;
  const consumer = new QueueConsumer({ sqs, sqsLongPolls: sqs } as unknown as AwsClients, queues, dispatcher, silentLogger, {
    queueName: 'q',
    queueUrl: 'http://sqs/q',
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
    concurrency: 10 * (options.pollers ?? 1),
    pollers: options.pollers ?? 1,
  });
  const messages = (ids: string[]): Message[] => ids.map((id) => ({ MessageId: id, ReceiptHandle: `r-${id}`, Body: '{}' }));
  return { consumer, receives, visibility, deleted, messages, dispatched: () => dispatched };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('QueueConsumer.stop', () => {
  it('lets a long poll under way end, and gives what it returns back without running it', async () => {
    const h = harness(() => Promise.resolve({ kind: 'done' }));
    h.consumer.start();
    await tick();
    expect(h.receives).toHaveLength(1);
    let resolved = false;
    const stopped = h.consumer.stop(1000).then((summary) => ((resolved = true), summary));
    await tick();
    expect(h.receives[0]!.aborted()).toBe(false); // the poll is not abandoned: it can still take messages
    expect(resolved).toBe(false); // and stop() waits for it
    h.receives[0]!.answer(h.messages(['a', 'b', 'c']));
    await expect(stopped).resolves.toEqual({ finished: 0, returned: 0, released: 3 });
    expect(h.visibility).toEqual(['r-a', 'r-b', 'r-c'].map((receiptHandle) => ({ receiptHandle, seconds: 0 })));
    expect(h.dispatched()).toBe(0);
    expect(h.receives).toHaveLength(1); // no new poll after stop
  });

  it('returns every message still unfinished at the drain timeout, and does not delete them when they finish', async () => {
    const finishers: (() => void)[] = [];
    const h = harness(() => new Promise((resolve) => finishers.push(() => resolve({ kind: 'done' }))));
    h.consumer.start();
    await tick();
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    h.receives[0]!.answer(h.messages(ids));
    await tick();
    expect(h.dispatched()).toBe(10);
    const summary = await h.consumer.stop(20);
    expect(summary).toEqual({ finished: 0, returned: 10, released: 0 });
    expect(h.visibility.filter((v) => v.seconds === 0).map((v) => v.receiptHandle).sort()).toEqual(ids.map((id) => `r-${id}`).sort());
    for (const finish of finishers) finish();
    await tick();
    expect(h.deleted).toEqual([]);
  });

  it('gives nothing back while one of its own long polls is still under way (each receive counts toward maxReceiveCount)', async () => {
    const h = harness(() => new Promise(() => undefined), { pollers: 3 });
    h.consumer.start();
    await tick();
    h.receives[0]!.answer(h.messages(['a'])); // a runs and never finishes
    await tick();
    expect(h.receives).toHaveLength(3); // the other two pollers' receives are under way
    const stopped = h.consumer.stop(0);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the drain timeout has passed
    h.receives[1]!.answer(h.messages(['b'])); // a poll under way at stop takes b
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Given back now, a or b could go to the poll still open, and back, and again: neither is yet.
    expect(h.visibility.filter((v) => v.seconds === 0)).toEqual([]);
    h.receives[2]!.answer([]);
    await expect(stopped).resolves.toEqual({ finished: 0, returned: 1, released: 1 });
    expect(h.visibility.filter((v) => v.seconds === 0).map((v) => v.receiptHandle).sort()).toEqual(['r-a', 'r-b']);
    expect(h.dispatched()).toBe(1);
  });

  it('returns a message only after its heartbeat extension under way has ended, so that extension cannot hide it again', async () => {
    let extended: () => void = () => undefined;
    const h = harness(() => new Promise(() => undefined), {
      visibilityTimeoutSeconds: 2, // a heartbeat every second
      extension: () => new Promise<void>((resolve) => (extended = resolve)),
    });
    h.consumer.start();
    await tick();
    h.receives[0]!.answer(h.messages(['a']));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the heartbeat's extension is now under way
    expect(h.visibility).toEqual([{ receiptHandle: 'r-a', seconds: 2 }]);
    const stopped = h.consumer.stop(0);
    h.receives[1]?.answer([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.visibility).toHaveLength(1); // not returned while the extension may still land after it
    extended();
    await expect(stopped).resolves.toMatchObject({ returned: 1 });
    expect(h.visibility).toEqual([
      { receiptHandle: 'r-a', seconds: 2 },
      { receiptHandle: 'r-a', seconds: 0 },
    ]);
  });
});
