/**
 * Long-poll staggering in the local worker's QueueConsumer, against a stubbed SQS client and fake
 * timers: when its pollers' long polls start relative to each other (see local/poll-stagger.ts).
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { QueueConsumer } from '../../local';
import { defaultLongPollRecheckMs, staggerDelayMs } from '../../local/poll-stagger';
import { silentLogger } from '../../runtime';
import type { Dispatcher } from '../../runtime/dispatch';
import type { AwsClients, QueueOperations } from '../../runtime/transport';

describe('staggerDelayMs', () => {
  it('does not hold a poll back when no other poll waits on the queue', () => {
    expect(staggerDelayMs(1234, [], 100)).toBe(0);
  });

  it('places the poll half an interval from the only waiting poll', () => {
    // Waiting poll re-checks at phase 50; now is phase 60: the opposite phase (0) is 40 ms away.
    expect(staggerDelayMs(1060, [950], 100)).toBe(40);
  });

  it('places the poll in the middle of the widest gap between waiting polls', () => {
    // Phases 0, 20 and 50: the widest gap is 50 → 100, so the target phase is 75.
    expect(staggerDelayMs(2010, [1000, 1020, 350], 100)).toBe(65);
  });

  it('treats start times before and after the interval boundary alike', () => {
    expect(staggerDelayMs(205, [199, 99, -1], 100)).toBe(staggerDelayMs(5, [99], 100));
  });

  it('is turned off by a zero interval', () => {
    expect(staggerDelayMs(1060, [950], 0)).toBe(0);
  });

  it('always returns a delay within one interval', () => {
    for (let i = 0; i < 200; i += 1) {
      const starts = Array.from({ length: 1 + (i % 4) }, (_, k) => (i * 37 + k * 53) % 1000);
      const delay = staggerDelayMs(i * 13, starts, 100);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100);
    }
  });
});

/** A ReceiveMessage under way on the stub, answered by the test. */
interface PendingReceive {
  readonly startedAt: number;
  readonly answer: (messages: Message[]) => void;
}

function stubbedConsumer(options: { pollers: number; concurrency: number; longPollRecheckMs?: number | undefined }) {
  const receives: PendingReceive[] = [];
  let nextId = 0;
  const sqs = {
    send: (command: unknown, sendOptions?: { abortSignal?: AbortSignal }) => {
      if (!(command instanceof ReceiveMessageCommand)) return Promise.resolve({});
      return new Promise((resolve, reject) => {
        receives.push({ startedAt: Date.now(), answer: (Messages) => resolve({ Messages }) });
        sendOptions?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
  };
  const clients = { sqs, sqsLongPolls: sqs } as unknown as AwsClients;
  const queues = { delete: () => Promise.resolve(), changeVisibility: () => Promise.resolve() } as unknown as QueueOperations;
  const dispatcher = { dispatch: () => Promise.resolve({ kind: 'done' }) } as unknown as Dispatcher;
  const consumer = new QueueConsumer(clients, queues, dispatcher, silentLogger, {
    queueName: 'q',
    queueUrl: 'http://sqs/q',
    visibilityTimeoutSeconds: 30,
    longPollRecheckMs: 100,
    ...options,
  });
  const messages = (count: number): Message[] =>
    Array.from({ length: count }, () => {
      nextId += 1;
      return { MessageId: `m${nextId}`, ReceiptHandle: `r${nextId}`, Body: '{}' };
    });
  /** Stops the consumer: the long polls under way end, empty, as they would at their wait time (stop() never aborts them). */
  const stop = async () => {
    const stopped = consumer.stop(1000);
    for (const receive of receives) receive.answer([]);
    await jest.advanceTimersByTimeAsync(0);
    return stopped;
  };
  return { consumer, receives, messages, stop };
}

describe('defaultLongPollRecheckMs', () => {
  it('staggers against a custom endpoint (an emulator), from the settings or the SDK environment', () => {
    expect(defaultLongPollRecheckMs('http://localhost:4566', {})).toBe(100);
    expect(defaultLongPollRecheckMs(undefined, { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(100);
    expect(defaultLongPollRecheckMs(undefined, { AWS_ENDPOINT_URL_SQS: 'http://localhost:4566' })).toBe(100);
  });

  it('does not stagger on AWS', () => {
    expect(defaultLongPollRecheckMs(undefined, {})).toBe(0);
  });
});

describe('QueueConsumer long-poll staggering', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('spreads its pollers over the re-check interval when it starts', async () => {
    const { consumer, receives, stop } = stubbedConsumer({ pollers: 2, concurrency: 20 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0]);
    await jest.advanceTimersByTimeAsync(60);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 50]);
    await stop();
  });

  it('after a short receive, starts the next long poll opposite the one still waiting', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 2, concurrency: 20 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(60); // polls waiting since 0 and 50
    receives[0]?.answer(messages(1)); // the queue is drained: one message of ten
    await jest.advanceTimersByTimeAsync(39);
    expect(receives).toHaveLength(2); // held back: phase 0 is opposite the waiting poll's 50
    await jest.advanceTimersByTimeAsync(1);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 50, 100]);
    await stop();
  });

  it('polls again at once after a full batch: the queue may hold more', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 2, concurrency: 20 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(60);
    receives[0]?.answer(messages(10));
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 50, 60]);
    await stop();
  });

  it('starts a held-back poll at once when no other poll covers the queue any more', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 2, concurrency: 20 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(60);
    receives[0]?.answer(messages(1)); // next poll held back until 100
    await jest.advanceTimersByTimeAsync(10);
    receives[1]?.answer([]); // the other poll returns at 70: nothing waits on the queue
    await jest.advanceTimersByTimeAsync(0);
    expect(receives[2]?.startedAt).toBe(70);
    await stop();
  });

  it('with one poller never holds a poll back', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 1, concurrency: 10 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(30);
    receives[0]?.answer(messages(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 30]);
    await stop();
  });

  it('is off by default (SQS answers long polls at once; a short batch does not mean drained)', async () => {
    const { consumer, receives, stop } = stubbedConsumer({ pollers: 2, concurrency: 20, longPollRecheckMs: undefined });
    consumer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 0]);
    await stop();
  });

  it('longPollRecheckMs 0 turns staggering off', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 2, concurrency: 20, longPollRecheckMs: 0 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 0]);
    await jest.advanceTimersByTimeAsync(60);
    receives[0]?.answer(messages(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(receives.map((r) => r.startedAt)).toEqual([0, 0, 60]);
    await stop();
  });

  it('stop() does not wait for a held-back poll', async () => {
    const { consumer, receives, messages, stop } = stubbedConsumer({ pollers: 2, concurrency: 20 });
    consumer.start();
    await jest.advanceTimersByTimeAsync(60);
    receives[0]?.answer(messages(1));
    await jest.advanceTimersByTimeAsync(5);
    await expect(stop()).resolves.toEqual({ finished: expect.any(Number), returned: 0, released: 0 });
    expect(receives).toHaveLength(2); // the held-back poll was never made
  });
});
