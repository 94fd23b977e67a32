/**
 * QueueOperations.send with a stubbed SQS client (unit test): sends issued together go out as
 * SendMessageBatch calls, split by queue, by 10 entries and by the 256 KiB total; a refused entry
 * fails only its own send; an entry SQS failed through its own fault is retried in a later batch;
 * an aborted send is never sent, and an abort ends the caller's wait even while its batch is out.
 */
import { getEventListeners } from 'node:events';
import {
  SendMessageBatchCommand,
  type BatchResultErrorEntry,
  SendMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { QueueSendError } from '../../runtime/errors';
import {
  MAX_SQS_MESSAGE_BYTES,
  QueueOperations,
  type AwsClients,
  type QueueLocator,
  type QueueOperationsOptions,
} from '../../runtime/transport';

interface Call {
  readonly command: string;
  readonly input: SendMessageBatchCommandInput;
}

type Answer = (input: SendMessageBatchCommandInput) => Partial<SendMessageBatchCommandOutput> | Promise<Partial<SendMessageBatchCommandOutput>>;

/** Every entry succeeds, with message id `<queue url>#<body>`. */
const allSucceed: Answer = (input) => ({
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `${input.QueueUrl}#${e.MessageBody}`, MD5OfMessageBody: '' })),
  Failed: [],
});

interface StubOptions extends QueueOperationsOptions {
  readonly url?: (name: string) => Promise<string>;
}

function stubQueues(answer: Answer = allSucceed, options: StubOptions = {}) {
  const calls: Call[] = [];
  const sqs = {
    send: async (command: SendMessageBatchCommand | SendMessageCommand) => {
      calls.push({ command: command.constructor.name, input: command.input as SendMessageBatchCommandInput });
      if (command instanceof SendMessageCommand) return { MessageId: 'single' };
      return answer(command.input);
    },
  };
  const locator = { url: options.url ?? (async (name: string) => `https://sqs.local/${name}`) } as unknown as QueueLocator;
  const queues = new QueueOperations({ sqs } as unknown as AwsClients, locator, options);
  return { queues, calls };
}

const bodiesOf = (call: Call) => (call.input.Entries ?? []).map((e) => e.MessageBody);

/** Answers each entry through `outcome`: a message id, or a failure. */
function answerEach(outcome: (body: string, call: number) => string | { Code: string; Message: string; SenderFault?: boolean }): Answer {
  let call = 0;
  return (input) => {
    call += 1;
    const results = (input.Entries ?? []).map((e) => ({ id: e.Id, result: outcome(e.MessageBody ?? '', call) }));
    return {
      Successful: results.flatMap(({ id, result }) => (typeof result === 'string' ? [{ Id: id, MessageId: result, MD5OfMessageBody: '' }] : [])),
      // SQS's model marks SenderFault required; the answers may leave it out, as a defensive client must expect.
      Failed: results.flatMap(({ id, result }) => (typeof result === 'string' ? [] : [{ Id: id, ...result } as BatchResultErrorEntry])),
    };
  };
}

const throttled = { Code: 'ThrottlingException', Message: 'Rate exceeded', SenderFault: false };

/** Lets pending promise callbacks and immediates run (sendBatch awaits the locator, then the call). */
async function settleTurns(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; result?: PromiseSettledResult<T> } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, result: { status: 'fulfilled', value } }),
    (reason: unknown) => Object.assign(state, { settled: true, result: { status: 'rejected', reason } }),
  );
  return state;
}

/** A promise settled from outside: holds a SendMessageBatch call open until the test releases it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

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

describe('QueueOperations.send retries entries SQS failed through its own fault', () => {
  it('retries a ServiceUnavailable/throttled entry (SenderFault false or absent) in a later batch until it succeeds', async () => {
    const { queues, calls } = stubQueues(
      answerEach((body, call) => {
        if (body === 'flaky' && call === 1) return throttled;
        if (body === 'flaky' && call === 2) return { Code: 'ServiceUnavailable', Message: 'try again' }; // SenderFault absent
        return `id-${body}`;
      }),
      { sendRetryBaseMs: 1 },
    );
    const results = await Promise.all([queues.send('q', 'ok'), queues.send('q', 'flaky')]);
    expect(results).toEqual(['id-ok', 'id-flaky']);
    expect(calls.map(bodiesOf)).toEqual([['ok', 'flaky'], ['flaky'], ['flaky']]);
  });

  it('rejects with QueueSendError naming the queue and the last SQS code and message once its attempts are spent', async () => {
    const { queues, calls } = stubQueues(answerEach(() => throttled), { sendRetryBaseMs: 1, sendMaxAttempts: 4 });
    const error = (await queues.send('q', 'doomed').catch((e: unknown) => e)) as QueueSendError;
    expect(error).toBeInstanceOf(QueueSendError);
    expect(error.message).toContain('"q"');
    expect(error.message).toContain('ThrottlingException: Rate exceeded');
    expect(error.context).toMatchObject({ queue: 'q', sqsCode: 'ThrottlingException', senderFault: false, attempts: 4 });
    expect(calls).toHaveLength(4);
  });

  it('does not retry an entry SQS refused (SenderFault true)', async () => {
    const { queues, calls } = stubQueues(answerEach(() => ({ Code: 'InvalidMessageContents', Message: 'bad', SenderFault: true })), {
      sendRetryBaseMs: 1,
    });
    await expect(queues.send('q', 'bad')).rejects.toBeInstanceOf(QueueSendError);
    await settleTurns();
    expect(calls).toHaveLength(1);
  });

  describe('with fake timers for the backoff', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    it('a send aborted while it waits for its retry rejects with the reason and is not sent again', async () => {
      const { queues, calls } = stubQueues(answerEach(() => throttled));
      const controller = new AbortController();
      const sent = track(queues.send('q', 'flaky', undefined, controller.signal));
      await settleTurns();
      expect(calls).toHaveLength(1);
      expect(sent.settled).toBe(false); // waiting for its retry
      expect(jest.getTimerCount()).toBe(1);
      controller.abort(new Error('caller gave up'));
      await settleTurns();
      expect(sent.result).toEqual({ status: 'rejected', reason: new Error('caller gave up') });
      expect(abortListeners(controller.signal)).toBe(0);
      await jest.runAllTimersAsync();
      await settleTurns();
      expect(calls).toHaveLength(1);
    });

    it('close() rejects a send waiting for its retry, clears the timer, and refuses later sends', async () => {
      const { queues, calls } = stubQueues(answerEach(() => throttled));
      const sent = track(queues.send('q', 'flaky'));
      await settleTurns();
      expect(jest.getTimerCount()).toBe(1);
      const closed = new Error('The bus client was closed');
      queues.close(closed);
      await settleTurns();
      expect(sent.result).toEqual({ status: 'rejected', reason: closed });
      expect(jest.getTimerCount()).toBe(0);
      await expect(queues.send('q', 'after')).rejects.toBe(closed);
      expect(calls).toHaveLength(1);
    });

    it('a retried entry joins the batch being filled for its queue', async () => {
      const { queues, calls } = stubQueues(answerEach((body, call) => (body === 'flaky' && call === 1 ? throttled : `id-${body}`)));
      const flaky = queues.send('q', 'flaky');
      await settleTurns();
      expect(jest.getTimerCount()).toBe(1); // its retry
      const later = queues.send('q', 'later');
      jest.runOnlyPendingTimers(); // the retry falls due in the turn that sent 'later'
      await expect(Promise.all([flaky, later])).resolves.toEqual(['id-flaky', 'id-later']);
      expect(calls.map(bodiesOf)).toEqual([['flaky'], ['later', 'flaky']]);
    });

    it('backs off exponentially with jitter between attempts', async () => {
      const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
      try {
        const { queues } = stubQueues(answerEach(() => throttled), { sendRetryBaseMs: 100, sendMaxAttempts: 4 });
        const sent = track(queues.send('q', 'doomed'));
        while (!sent.settled) {
          await settleTurns();
          await jest.runOnlyPendingTimersAsync();
        }
        const delays = setTimeoutSpy.mock.calls.map((call) => call[1] ?? 0);
        expect(delays).toHaveLength(3);
        delays.forEach((delay, i) => {
          expect(delay).toBeGreaterThanOrEqual(100 * 2 ** i * 0.5);
          expect(delay).toBeLessThanOrEqual(100 * 2 ** i);
        });
      } finally {
        setTimeoutSpy.mockRestore();
      }
    });
  });
});

describe('QueueOperations.send aborts while the batch is out', () => {
  it('rejects the aborted caller at once with the reason, while the batch carries on for the others', async () => {
    const response = deferred<Partial<SendMessageBatchCommandOutput>>();
    const { queues, calls } = stubQueues((input) => response.promise.then(() => allSucceed(input)));
    const controller = new AbortController();
    const aborted = track(queues.send('q', 'mine', undefined, controller.signal));
    const other = track(queues.send('q', 'other'));
    await settleTurns();
    expect(calls.map(bodiesOf)).toEqual([['mine', 'other']]);
    controller.abort(new Error('caller gave up'));
    await settleTurns();
    // The call is still out, yet the aborted caller has its answer.
    expect(aborted.result).toEqual({ status: 'rejected', reason: new Error('caller gave up') });
    expect(other.settled).toBe(false);
    expect(abortListeners(controller.signal)).toBe(0);
    response.resolve({});
    await settleTurns();
    expect(other.result).toEqual({ status: 'fulfilled', value: 'https://sqs.local/q#other' });
    // The entry's later success is ignored: still the abort's rejection.
    expect(aborted.result).toEqual({ status: 'rejected', reason: new Error('caller gave up') });
  });

  it('ignores the later failure of an aborted entry, and does not retry it', async () => {
    const response = deferred<void>();
    const { queues, calls } = stubQueues((input) => response.promise.then(() => answerEach(() => throttled)(input)), { sendRetryBaseMs: 0 });
    const controller = new AbortController();
    const aborted = track(queues.send('q', 'mine', undefined, controller.signal));
    await settleTurns();
    controller.abort(new Error('caller gave up'));
    response.resolve();
    await settleTurns(10);
    expect(aborted.result).toEqual({ status: 'rejected', reason: new Error('caller gave up') });
    expect(calls).toHaveLength(1);
  });

  it('leaves no abort listener behind once sends settle, however they settle', async () => {
    const { queues } = stubQueues(answerEach((body) => (body === 'bad' ? { Code: 'InvalidMessageContents', Message: 'bad', SenderFault: true } : `id-${body}`)));
    const signal = new AbortController().signal;
    const results = await Promise.allSettled([queues.send('q', 'ok', undefined, signal), queues.send('q', 'bad', undefined, signal)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(abortListeners(signal)).toBe(0);

    const failing = stubQueues(() => Promise.reject(new Error('network down')));
    await expect(failing.queues.send('q', 'x', undefined, signal)).rejects.toThrow('network down');
    expect(abortListeners(signal)).toBe(0);
  });
});

describe('QueueOperations.send when the queue URL cannot be found', () => {
  it('rejects every send of the batch with a QueueSendError naming the queue, and sends nothing', async () => {
    const lookupError = Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
    const { queues, calls } = stubQueues(allSucceed, {
      url: async (name) => {
        if (name === 'missing') throw lookupError;
        return `https://sqs.local/${name}`;
      },
    });
    const signal = new AbortController().signal;
    const results = await Promise.allSettled([
      queues.send('missing', 'a', undefined, signal),
      queues.send('missing', 'b'),
      queues.send('present', 'c'),
    ]);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'https://sqs.local/present#c' });
    for (const result of results.slice(0, 2)) {
      const error = (result as PromiseRejectedResult).reason as QueueSendError;
      expect(error).toBeInstanceOf(QueueSendError);
      expect(error.message).toContain('queue "missing"');
      expect(error.message).toContain("QueueDoesNotExist: could not find the queue's URL: The specified queue does not exist.");
      expect(error.cause).toBe(lookupError);
    }
    expect(calls.map((c) => c.input.QueueUrl)).toEqual(['https://sqs.local/present']);
    expect(abortListeners(signal)).toBe(0);
  });
});
