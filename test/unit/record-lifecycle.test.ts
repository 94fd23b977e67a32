/**
 * The record lifecycle both SQS consumers share (the Lambda handler and the local worker), against
 * a stubbed dispatcher: the receive-count guard, the net for a dispatch that throws, and when a
 * message fails for the events its listener fired but were not delivered.
 */
import { actionFor, inboundMessage, RecordLifecycle, type Dispatcher, type DispatchOutcome, type InboundMessage } from '../../runtime/dispatch';
import { silentLogger } from '../../runtime';
import { UndeliveredEventsError, type UndeliveredEvent } from '../../runtime/errors';

const message: InboundMessage = { messageId: 'm-1', body: '{}', receiptHandle: 'r-1', receiveCount: 1, queueName: 'listener-q' };
const event: UndeliveredEvent = { api: 'math', event: 'happened', id: 'e-1', errorCode: 'AccessDeniedException', errorMessage: 'refused', origin: 'm-1' };

function stubDispatcher(overrides: { dispatch?: () => Promise<DispatchOutcome>; listenerWorkFailed?: (m: InboundMessage, e: Error) => Promise<DispatchOutcome> } = {}) {
  const failed: { message: InboundMessage; error: Error }[] = [];
  const dispatcher = {
    queues: new Map([
      ['listener-q', { kind: 'listener', model: { visibilityTimeoutSeconds: 45 } }],
      ['rpc-q', { kind: 'rpc', model: { visibilityTimeoutSeconds: 20 } }],
    ]),
    dispatch: overrides.dispatch ?? (async () => ({ kind: 'done' })),
    listenerWorkFailed: async (m: InboundMessage, error: Error) => {
      failed.push({ message: m, error });
      return overrides.listenerWorkFailed ? overrides.listenerWorkFailed(m, error) : { kind: 'retry', error, delaySeconds: 2 };
    },
    visibilityTimeoutSeconds: (queueName: string) => (queueName === 'listener-q' ? 45 : queueName === 'rpc-q' ? 20 : 30),
  } as unknown as Dispatcher;
  return { dispatcher, failed };
}

describe('inboundMessage', () => {
  const record = (approximateReceiveCount: string | undefined) =>
    inboundMessage({ messageId: 'm', body: 'b', receiptHandle: 'r', approximateReceiveCount, queueName: 'q' });

  it('reads the receive count', () => {
    expect(record('3')).toEqual({ messageId: 'm', body: 'b', receiptHandle: 'r', receiveCount: 3, queueName: 'q' });
  });

  it('counts a missing, unreadable or non-positive receive count as the first receive', () => {
    expect([undefined, 'many', '0', '-2'].map((count) => record(count).receiveCount)).toEqual([1, 1, 1, 1]);
  });

  it('reads missing fields as empty strings', () => {
    expect(inboundMessage({ messageId: undefined, body: undefined, receiptHandle: undefined, approximateReceiveCount: '1', queueName: 'q' })).toMatchObject({
      messageId: '',
      body: '',
      receiptHandle: '',
    });
  });
});

describe('RecordLifecycle.dispatch', () => {
  it('runs the dispatch inside the wrapper', async () => {
    const { dispatcher } = stubDispatcher();
    const wrapped: string[] = [];
    const outcome = await new RecordLifecycle(dispatcher, silentLogger).dispatch(message, async (dispatch) => {
      wrapped.push('before');
      const result = await dispatch();
      wrapped.push('after');
      return result;
    });
    expect(outcome).toEqual({ kind: 'done' });
    expect(wrapped).toEqual(['before', 'after']);
  });

  it("retries a message whose dispatch threw after its queue's visibility timeout", async () => {
    const bug = new Error('a bug in the dispatcher');
    const { dispatcher } = stubDispatcher({ dispatch: () => Promise.reject(bug) });
    await expect(new RecordLifecycle(dispatcher, silentLogger).dispatch(message)).resolves.toEqual({ kind: 'retry', error: bug, delaySeconds: 45 });
  });

  it('retries after the visibility timeout when the wrapper throws too', async () => {
    const { dispatcher } = stubDispatcher();
    const outcome = await new RecordLifecycle(dispatcher, silentLogger).dispatch({ ...message, queueName: 'rpc-q' }, () => Promise.reject(new Error('wrapper')));
    expect(outcome).toMatchObject({ kind: 'retry', delaySeconds: 20 });
  });
});

describe('RecordLifecycle.finish', () => {
  it('deletes a message that is done and whose events were delivered', async () => {
    const { dispatcher, failed } = stubDispatcher();
    await expect(new RecordLifecycle(dispatcher, silentLogger).finish(message, { kind: 'done' }, [])).resolves.toEqual({
      outcome: { kind: 'done' },
      action: { kind: 'delete' },
    });
    expect(failed).toHaveLength(0);
  });

  it("fails a listener's message whose events were not delivered through the listener's failure path", async () => {
    const { dispatcher, failed } = stubDispatcher();
    const result = await new RecordLifecycle(dispatcher, silentLogger).finish(message, { kind: 'done' }, [event]);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toBeInstanceOf(UndeliveredEventsError);
    expect((failed[0]?.error as UndeliveredEventsError).events).toEqual([event]);
    expect(result).toEqual({ outcome: { kind: 'retry', error: failed[0]?.error, delaySeconds: 2 }, action: { kind: 'retry', afterSeconds: 2 } });
  });

  it('deletes the message when its listener failure dead-letters it', async () => {
    const { dispatcher } = stubDispatcher({ listenerWorkFailed: async (_m, error) => ({ kind: 'deadLettered', reason: 'retries-exhausted', error }) });
    const result = await new RecordLifecycle(dispatcher, silentLogger).finish(message, { kind: 'done' }, [event]);
    expect(result.outcome).toMatchObject({ kind: 'deadLettered', reason: 'retries-exhausted' });
    expect(result.action).toEqual({ kind: 'delete' });
  });

  it('leaves retried and dead-lettered messages, and procedures, as they are', async () => {
    const { dispatcher, failed } = stubDispatcher();
    const lifecycle = new RecordLifecycle(dispatcher, silentLogger);
    const error = new Error('handler failed');
    const retried = await lifecycle.finish(message, { kind: 'retry', error, delaySeconds: 4 }, [event]);
    const deadLettered = await lifecycle.finish(message, { kind: 'deadLettered', reason: 'invalid', error }, [event]);
    const procedure = await lifecycle.finish({ ...message, queueName: 'rpc-q' }, { kind: 'done' }, [event]);
    expect(failed).toHaveLength(0);
    expect([retried.action, deadLettered.action, procedure.action]).toEqual([{ kind: 'retry', afterSeconds: 4 }, { kind: 'delete' }, { kind: 'delete' }]);
  });

  it('leaves a message returned to its queue alone: neither deleted nor failed', async () => {
    const { dispatcher, failed } = stubDispatcher();
    const result = await new RecordLifecycle(dispatcher, silentLogger).finish(message, { kind: 'done' }, [event], { returnedToQueue: true });
    expect(result).toEqual({ outcome: { kind: 'done' }, action: { kind: 'leave' } });
    expect(failed).toHaveLength(0);
  });

  it('retries after the visibility timeout when the listener failure cannot be recorded, and says so', async () => {
    const cause = new Error('no such listener');
    const { dispatcher } = stubDispatcher({ listenerWorkFailed: () => Promise.reject(cause) });
    const errors: [Error, string][] = [];
    const lifecycle = new RecordLifecycle(dispatcher, silentLogger, { onError: (error, operation) => errors.push([error, operation]) });
    const result = await lifecycle.finish(message, { kind: 'done' }, [event]);
    expect(result).toEqual({ outcome: { kind: 'retry', error: cause, delaySeconds: 45 }, action: { kind: 'retry', afterSeconds: 45 } });
    expect(errors).toEqual([[cause, 'retry-delay']]);
  });
});

describe('actionFor', () => {
  it('deletes every finished message and retries the rest after their delay', () => {
    const error = new Error('x');
    expect(actionFor({ kind: 'done' })).toEqual({ kind: 'delete' });
    expect(actionFor({ kind: 'dropped', reason: 'duplicate' })).toEqual({ kind: 'delete' });
    expect(actionFor({ kind: 'deadLettered', reason: 'malformed', error })).toEqual({ kind: 'delete' });
    expect(actionFor({ kind: 'retry', error, delaySeconds: 7 })).toEqual({ kind: 'retry', afterSeconds: 7 });
  });
});
