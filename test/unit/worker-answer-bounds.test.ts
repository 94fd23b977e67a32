/**
 * Every answer a worker writes, and every line it logs about one, is bounded in size whatever the
 * caller sent (issue #16 item 1): errors are cut with a marker, a write DynamoDB refuses for what
 * it is is not retried, and retries stop after one visibility timeout even when the caller's
 * deadline is 1e300.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { createLogger, lightbus, ValidationError, z } from '../../runtime';
import {
  attributeText,
  cutAtCodePoint,
  fitAttributes,
  cutText,
  Dispatcher,
  ErrorBounds,
  isPermanentWriteError,
  toWireError,
  type CallResultPayload,
  type CallResults,
} from '../../runtime/dispatch';
import { DeadLetterAttributes } from '../../runtime/messages';
import { MAX_SQS_MESSAGE_BYTES } from '../../runtime/transport';

const listApi = lightbus.api('lists', {
  rpcs: {
    sum: lightbus.rpc({ parameters: { nums: z.array(z.number()) }, response: z.number() }),
  },
});

function validationError(count: number): ValidationError {
  const issues = Array.from({ length: count }, (_, i) => ({ path: `$.nums[${i}]`, expected: 'expected number, received string' }));
  return new ValidationError('parameters', { api: 'lists', member: 'sum', direction: 'incoming', part: 'parameters' }, issues);
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('cutting text', () => {
  it('never splits a surrogate pair', () => {
    expect(cutAtCodePoint('ab😀', 3)).toBe('ab');
    expect(cutAtCodePoint('ab😀', 4)).toBe('ab😀');
    expect(cutText('x'.repeat(1000), 100)).toHaveLength(100);
    expect(cutText('x'.repeat(1000), 100)).toContain('…(cut from 1000 characters)');
    expect(cutText('short', 100)).toBe('short');
  });

  it('makes dead-letter attribute strings SQS accepts: escaped, cut on a code point', () => {
    expect(attributeText('a\nb\u0000c\ud800d', 100)).toBe('a\\nb\\u0000c\\ud800d');
    const cut = attributeText('😀'.repeat(10), 5);
    expect(cut).toBe('😀😀');
  });
});

it('shortens the dead-letter error message so that a body near the SQS limit still fits with its attributes', () => {
  const body = 'b'.repeat(MAX_SQS_MESSAGE_BYTES - 1000);
  const attributes: Record<string, MessageAttributeValue> = {
    reason: { DataType: 'String', StringValue: 'result-not-written' },
    message: { DataType: 'String', StringValue: 'é'.repeat(4096) },
  };
  fitAttributes(body, attributes, 'message');
  const size = (v: MessageAttributeValue, name: string) => Buffer.byteLength(name) + Buffer.byteLength(v.DataType!) + Buffer.byteLength(v.StringValue!);
  const total = body.length + size(attributes.reason!, 'reason') + size(attributes.message!, 'message');
  expect(total).toBeLessThanOrEqual(MAX_SQS_MESSAGE_BYTES);
  expect(attributes.message!.StringValue!.length).toBeGreaterThan(0);

  const small = { message: { DataType: 'String', StringValue: 'kept' } };
  fitAttributes('{}', small, 'message');
  expect(small.message.StringValue).toBe('kept');
});

describe('bounded wire errors', () => {
  it('lists at most N validation issues, then counts the rest', () => {
    const error = validationError(60_000);
    expect(error.message.length).toBeGreaterThan(1_000_000);
    const wire = toWireError(error);
    expect(wire.message).toContain('$.nums[0]: expected number, received string');
    expect(wire.message).toContain(`$.nums[${ErrorBounds.maxListedIssues - 1}]`);
    expect(wire.message).not.toContain(`$.nums[${ErrorBounds.maxListedIssues}]:`);
    expect(wire.message).toMatch(new RegExp(`…and ${60_000 - ErrorBounds.maxListedIssues} more$`));
    expect(wire.message.startsWith('Invalid parameters for lists.sum: ')).toBe(true);
    // The stack's first line carries the bounded message, not the 1 MB one.
    expect(wire.stack?.startsWith(`ValidationError: ${wire.message}`)).toBe(true);
    expect(bytes(wire)).toBeLessThanOrEqual(ErrorBounds.maxBytes);
    expect(wire.code).toBe('VALIDATION_FAILED');
  });

  it('keeps a small error as it is', () => {
    const error = validationError(2);
    expect(toWireError(error).message).toBe(error.message);
    expect(toWireError(new Error('plain')).message).toBe('plain');
  });

  it('cuts a huge message and stack, and stays under the byte bound even when every character escapes', () => {
    const huge = new Error('m'.repeat(2_000_000));
    const wire = toWireError(huge);
    expect(wire.message.length).toBeLessThanOrEqual(ErrorBounds.maxMessageChars);
    expect(wire.message).toContain('…(cut from 2000000 characters)');
    expect((wire.stack ?? '').length).toBeLessThanOrEqual(ErrorBounds.maxStackChars);

    const controls = new Error('\u0001'.repeat(100_000));
    const escaped = toWireError(controls);
    expect(bytes(escaped)).toBeLessThanOrEqual(ErrorBounds.maxBytes);
    expect(escaped.name).toBe('Error');

    const thrown = toWireError('s'.repeat(100_000));
    expect(thrown.name).toBe('NonErrorThrown');
    expect(thrown.message.length).toBeLessThanOrEqual(ErrorBounds.maxMessageChars);
  });
});

it('treats DynamoDB ValidationException as permanent, and throttling as transient', () => {
  const named = (name: string) => Object.assign(new Error('x'), { name });
  expect(isPermanentWriteError(named('ValidationException'))).toBe(true);
  expect(isPermanentWriteError(named('ProvisionedThroughputExceededException'))).toBe(false);
  expect(isPermanentWriteError('ValidationException')).toBe(false);
});

describe('the RPC dispatcher', () => {
  function setUp(complete: CallResults['complete'], visibilitySeconds?: number) {
    const lines: string[] = [];
    const bus = lightbus.create({
      busName: 'answer-bounds',
      apis: [listApi],
      logger: createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) }),
    });
    bus.register(listApi, { sum: ({ nums }) => nums.reduce((a, b) => a + b, 0) });
    if (visibilitySeconds !== undefined) {
      const real = bus.topology.bind(bus);
      jest.spyOn(bus, 'topology').mockImplementation(() => {
        const topology = real();
        return { ...topology, rpcQueues: topology.rpcQueues.map((q) => ({ ...q, visibilityTimeoutSeconds: visibilitySeconds })) };
      });
    }
    const deadLetters: { queue: string; attributes: Record<string, MessageAttributeValue> }[] = [];
    Object.defineProperty(bus.transports, 'queues', {
      configurable: true,
      value: {
        send: async (queue: string, _body: string, attributes: Record<string, MessageAttributeValue>) => void deadLetters.push({ queue, attributes }),
        changeVisibility: async () => undefined,
      },
    });
    const results: CallResults = { claim: async () => true, complete };
    const dispatcher = new Dispatcher(bus, { results });
    const queueName = bus.topology().rpcQueues[0]!.queueName;
    const dispatch = (body: Record<string, unknown>) =>
      dispatcher.dispatch({ messageId: 'm', body: JSON.stringify(body), receiptHandle: 'r', receiveCount: 1, queueName });
    const request = (parameters: Record<string, unknown>, deadline = Date.now() + 30_000) => ({
      v: 1,
      kind: 'lightbus.rpc',
      id: 'call-1',
      api: 'lists',
      procedure: 'sum',
      parameters,
      deadline,
      returnPath: { table: bus.transports.location.resultsTable },
    });
    return { bus, lines, deadLetters, dispatch, request };
  }

  it('answers a 60,000-issue validation failure with a small error, logging a bounded line', async () => {
    const written: CallResultPayload[] = [];
    const { lines, dispatch, request } = setUp(async (_t, _id, outcome) => void written.push(outcome));
    const outcome = await dispatch(request({ nums: Array.from({ length: 60_000 }, () => '') }));
    expect(outcome).toEqual({ kind: 'done' });
    expect(written).toHaveLength(1);
    const answer = written[0]!;
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error.name).toBe('ValidationError');
    expect(answer.error.message).toContain(`…and ${60_000 - ErrorBounds.maxListedIssues} more`);
    expect(bytes(answer.error)).toBeLessThanOrEqual(ErrorBounds.maxBytes);
    expect(lines.some((l) => l.includes('RPC call failed'))).toBe(true);
    for (const line of lines) expect(line.length).toBeLessThan(4 * ErrorBounds.maxBytes);
  });

  it('dead-letters at once when DynamoDB refuses the item for what it is, whatever the deadline', async () => {
    let attempts = 0;
    const refusal = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    const { deadLetters, dispatch, request } = setUp(async () => {
      attempts += 1;
      throw refusal;
    });
    const outcome = await dispatch(request({ nums: [1, 2] }, 1e300));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'result-not-written', error: refusal });
    expect(attempts).toBe(1);
    expect(deadLetters[0]?.attributes[DeadLetterAttributes.ErrorName]?.StringValue).toBe('ValidationException');
  });

  it('stops retrying a failing write after one visibility timeout when the deadline is 1e300', async () => {
    let attempts = 0;
    const { dispatch, request } = setUp(async () => {
      attempts += 1;
      throw Object.assign(new Error('busy'), { name: 'InternalServerError' });
    }, 1);
    const outcome = await dispatch(request({ nums: [1] }, 1e300));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'result-not-written' });
    expect(attempts).toBeGreaterThan(1);
  });

  it('answers a malformed call only in its own table, create-only; dead-letters one for another table', async () => {
    const written: { id: string; requireClaim: boolean | undefined }[] = [];
    const { deadLetters, dispatch, request } = setUp(async (_t, id, _o, _e, requireClaim) => void written.push({ id, requireClaim }));
    const own = { ...request({}), procedure: 7 };
    await expect(dispatch(own)).resolves.toEqual({ kind: 'done' });
    expect(written).toEqual([{ id: 'call-1', requireClaim: false }]);

    const foreign = { ...own, returnPath: { table: 'someone-elses-table' } };
    await expect(dispatch(foreign)).resolves.toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
    expect(written).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
  });

  it('dead-letters a malformed call when DynamoDB refuses even the create-only error answer', async () => {
    const { dispatch, request } = setUp(async () => {
      throw Object.assign(new Error('refused'), { name: 'ValidationException' });
    });
    await expect(dispatch({ ...request({}), procedure: 7 })).resolves.toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
  });

  it('escapes the dead-letter attributes of an error whose message holds control characters and lone surrogates', async () => {
    const { deadLetters, dispatch, request } = setUp(async () => {
      throw Object.assign(new Error(`bad\n\u001b[31m\ud800${'x'.repeat(10_000)}`), { name: 'ValidationException' });
    });
    await dispatch(request({ nums: [] }));
    const message = deadLetters[0]?.attributes[DeadLetterAttributes.ErrorMessage]?.StringValue ?? '';
    expect(message.startsWith('bad\\n\\u001b[31m\\ud800x')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(4096);
    expect(message).not.toMatch(/[\u0000-\u001f]|[\ud800-\udfff]/);
  });
});

