/** Execution timeouts (issue #10, item 5): the race, the local worker's defaults, and what the dispatcher does at the timeout. */
import { localExecutionTimeout } from '../../local';
import { lightbus, silentLogger } from '../../runtime';
import { Dispatcher, ExecutionTimeoutError, MAX_TIMER_MS, withExecutionTimeout, type CallResultPayload, type CallResults } from '../../runtime/dispatch';
import { ConfigurationError } from '../../runtime/errors';
import { mathApi } from '../support/apis';
import { stubTransports } from '../support/stub-transports';

describe('withExecutionTimeout', () => {
  it('rejects with the timeout error when the work outlives its timeout, and keeps a late rejection unhandled-free', async () => {
    let fail: (e: Error) => void = () => undefined;
    const work = new Promise<string>((_resolve, reject) => (fail = reject));
    await expect(withExecutionTimeout(() => work, 5, () => new ExecutionTimeoutError('x', 5, {}))).rejects.toMatchObject({ code: 'EXECUTION_TIMEOUT' });
    fail(new Error('late')); // abandoned: must not become an unhandled rejection (jest would fail the run)
  });

  it('returns what finishes in time, and sets no limit without a timeout', async () => {
    await expect(withExecutionTimeout(() => Promise.resolve(1), 1000, () => new Error('no'))).resolves.toBe(1);
    await expect(withExecutionTimeout(() => Promise.resolve(2), undefined, () => new Error('no'))).resolves.toBe(2);
  });

  it('sets no limit for a timeout beyond what a timer holds (a deadline of 1e300 must not fire after 1 ms)', async () => {
    const later = () => new Promise<string>((resolve) => setTimeout(() => resolve('ran'), 30));
    await expect(withExecutionTimeout(later, 1e300 - Date.now(), () => new Error('abandoned at once'))).resolves.toBe('ran');
    await expect(withExecutionTimeout(later, MAX_TIMER_MS + 1, () => new Error('abandoned at once'))).resolves.toBe('ran');
  });
});

describe('localExecutionTimeout', () => {
  const now = () => 10_000;

  it('gives a procedure until its deadline by default, and never past it', () => {
    expect(localExecutionTimeout({}, now)({ kind: 'procedure', api: 'a', procedure: 'p', deadline: 15_000 })).toBe(5000);
    expect(localExecutionTimeout({ executionTimeoutMs: 60_000 }, now)({ kind: 'procedure', api: 'a', procedure: 'p', deadline: 15_000 })).toBe(5000);
    expect(localExecutionTimeout({ executionTimeoutMs: 1000 }, now)({ kind: 'procedure', api: 'a', procedure: 'p', deadline: 15_000 })).toBe(1000);
  });

  it("gives a listener its queue's visibility timeout by default; per-name overrides beat the worker-wide one", () => {
    const policy = localExecutionTimeout({ executionTimeoutMs: 2000, executionTimeouts: { 'a.p': 300, slow: 9000 } }, now);
    expect(localExecutionTimeout({}, now)({ kind: 'listener', listenerName: 'l', visibilityTimeoutSeconds: 30 })).toBe(30_000);
    expect(policy({ kind: 'listener', listenerName: 'l', visibilityTimeoutSeconds: 30 })).toBe(2000);
    expect(policy({ kind: 'listener', listenerName: 'slow', visibilityTimeoutSeconds: 30 })).toBe(9000);
    expect(policy({ kind: 'procedure', api: 'a', procedure: 'p', deadline: 15_000 })).toBe(300);
  });

  it('refuses a timeout that is not a positive number, saying what was given', () => {
    expect(() => localExecutionTimeout({ executionTimeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => localExecutionTimeout({ executionTimeouts: { x: -1 } })).toThrow('executionTimeouts["x"] must be a positive number of milliseconds; got -1.');
  });
});

describe('Dispatcher with an execution timeout', () => {
  it("answers a hung procedure's caller with an EXECUTION_TIMEOUT error and finishes its message", async () => {
    const bus = lightbus.create({ busName: 'exec-timeout', apis: [mathApi], logger: silentLogger });
    bus.register(mathApi, { add: () => new Promise<number>(() => undefined), fail: () => undefined, slow: () => '' });
    const stub = stubTransports(bus, () => ({ state: 'ok', resultJson: '0' }));
    await bus.math.add({ a: 1, b: 2 });
    const request = stub.sent[0]!;
    const completed: CallResultPayload[] = [];
    const results: CallResults = { claim: async () => true, complete: async (_t, _id, outcome) => void completed.push(outcome) };
    const dispatcher = new Dispatcher(bus, { results, executionTimeout: () => 10 });
    const outcome = await dispatcher.dispatch({ messageId: 'm', body: request.body, receiptHandle: 'r', receiveCount: 1, queueName: request.queueName });
    expect(outcome).toEqual({ kind: 'done' });
    expect(completed).toEqual([{ ok: false, error: expect.objectContaining({ code: 'EXECUTION_TIMEOUT', name: 'ExecutionTimeoutError' }) }]);
  });
});
