/**
 * ClaimBatcher with a stubbed DynamoDB client (unit test): claims made in one turn go out as
 * BatchExecuteStatement calls of up to 25 INSERTs; two claims of one call id never share a call;
 * DuplicateItem means "already claimed"; another per-statement error fails only its own claim; a
 * refused BatchExecuteStatement falls back to PutItem with one warning.
 */
import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  PutItemCommand,
  type BatchExecuteStatementCommandInput,
  type BatchStatementResponse,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../../runtime/errors';
import { ClaimBatcher, MAX_CLAIMS_PER_BATCH, type AwsClients, type ClaimRequest } from '../../runtime/transport';

type Input = BatchExecuteStatementCommandInput | PutItemCommandInput;

interface Call {
  readonly command: string;
  readonly input: Input;
}

interface StubOptions {
  /** Answers one statement of a batch by the call id it inserts (default: inserted). */
  readonly statement?: (callId: string) => BatchStatementResponse;
  /** Thrown by every BatchExecuteStatement call instead of answering. */
  readonly batchError?: Error;
  /** Call ids whose PutItem finds the key taken. */
  readonly taken?: ReadonlySet<string>;
}

function stubDynamoDb(options: StubOptions = {}) {
  const calls: Call[] = [];
  const dynamoDb = {
    send: async (command: BatchExecuteStatementCommand | PutItemCommand) => {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command instanceof PutItemCommand) {
        const id = command.input.Item?.pk?.S ?? '';
        if (options.taken?.has(id)) throw new ConditionalCheckFailedException({ message: 'taken', $metadata: {} });
        return {};
      }
      if (options.batchError) throw options.batchError;
      return { Responses: (command.input.Statements ?? []).map((s) => (options.statement ?? (() => ({})))(s.Parameters?.[0]?.S ?? '')) };
    },
  };
  return { batcher: new ClaimBatcher({ dynamoDb } as unknown as AwsClients), calls };
}

const request = (callId: string, table = 't-results'): ClaimRequest => ({
  table,
  callId,
  api: 'shop',
  procedure: 'buy',
  claimedBy: 'worker-1',
  expiresAtEpochSeconds: 2_000_000_000,
});

/** The call ids a recorded call claims, in order. */
function idsOf(call: Call): string[] {
  if (call.command === 'PutItemCommand') return [(call.input as PutItemCommandInput).Item?.pk?.S ?? ''];
  return ((call.input as BatchExecuteStatementCommandInput).Statements ?? []).map((s) => s.Parameters?.[0]?.S ?? '');
}

const silentLogger = () => ({ warn: jest.fn() });

describe('ClaimBatcher', () => {
  it('sends N claims of one turn as ceil(N / 25) BatchExecuteStatement calls', async () => {
    const { batcher, calls } = stubDynamoDb();
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    await expect(Promise.all(ids.map((id) => batcher.claim(request(id))))).resolves.toEqual(ids.map(() => true));
    expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand', 'BatchExecuteStatementCommand', 'BatchExecuteStatementCommand']);
    expect(calls.map((c) => idsOf(c).length)).toEqual([MAX_CLAIMS_PER_BATCH, MAX_CLAIMS_PER_BATCH, 10]);
    expect(calls.flatMap(idsOf)).toEqual(ids);
  });

  it('writes the same item as the PutItem claim, as parameters of an INSERT into the table', async () => {
    const { batcher, calls } = stubDynamoDb();
    await Promise.all([batcher.claim(request('a')), batcher.claim(request('b'))]);
    const statement = (calls[0]!.input as BatchExecuteStatementCommandInput).Statements![0]!;
    expect(statement.Statement).toBe(`INSERT INTO "t-results" VALUE {'pk': ?, 'state': ?, 'api': ?, 'procedure': ?, 'claimedBy': ?, 'claimedAt': ?, 'expiresAt': ?}`);
    expect(statement.Parameters).toEqual([
      { S: 'a' },
      { S: 'claimed' },
      { S: 'shop' },
      { S: 'buy' },
      { S: 'worker-1' },
      { N: expect.stringMatching(/^\d{13}$/) },
      { N: '2000000000' },
    ]);
  });

  it('a lone claim goes out in its own turn as a conditional PutItem, without waiting for company', async () => {
    const { batcher, calls } = stubDynamoDb();
    await expect(batcher.claim(request('alone'))).resolves.toBe(true);
    expect(calls.map((c) => c.command)).toEqual(['PutItemCommand']);
    expect((calls[0]!.input as PutItemCommandInput).ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it('claims made in later turns go out in later calls', async () => {
    const { batcher, calls } = stubDynamoDb();
    await Promise.all([batcher.claim(request('a')), batcher.claim(request('b'))]);
    await Promise.all([batcher.claim(request('c')), batcher.claim(request('d'))]);
    expect(calls.map(idsOf)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('puts a second claim of the same call id in a later call, never in the same one', async () => {
    const claimed = new Set<string>();
    const { batcher, calls } = stubDynamoDb({
      // Like DynamoDB: the first INSERT of a key wins, a later one finds it.
      statement: (id) => (claimed.has(id) ? { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } } : (claimed.add(id), {})),
      taken: claimed,
    });
    const outcomes = await Promise.all(['a', 'b', 'a', 'c'].map((id) => batcher.claim(request(id))));
    expect(outcomes).toEqual([true, true, false, true]);
    for (const call of calls) expect(new Set(idsOf(call)).size).toBe(idsOf(call).length);
    expect(calls.map(idsOf)).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ]);
  });

  it('keeps the same call id in different tables in one call (they are different items)', async () => {
    const { batcher, calls } = stubDynamoDb();
    await Promise.all([batcher.claim(request('a', 't1')), batcher.claim(request('a', 't2'))]);
    expect(calls).toHaveLength(1);
  });

  it('DuplicateItem (or ConditionalCheckFailed) for a statement resolves that claim false, the others true', async () => {
    const codes: Record<string, string> = { b: 'DuplicateItem', c: 'ConditionalCheckFailed' };
    const { batcher } = stubDynamoDb({ statement: (id) => (codes[id] ? { Error: { Code: codes[id] as 'DuplicateItem', Message: 'x' } } : {}) });
    await expect(Promise.all(['a', 'b', 'c', 'd'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, false, false, true]);
  });

  it('another per-statement error rejects only that claim, with the code DynamoDB gave', async () => {
    const { batcher } = stubDynamoDb({
      statement: (id) => (id === 'b' ? { Error: { Code: 'ValidationError', Message: 'bad item' } } : {}),
    });
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((id) => batcher.claim(request(id))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (settled[1] as PromiseRejectedResult).reason as ClaimWriteError;
    expect(reason).toBeInstanceOf(ClaimWriteError);
    expect(reason.dynamoDbCode).toBe('ValidationError');
    expect(reason.message).toContain('"t-results"');
    expect(reason.message).toContain('b');
  });

  it('a throttled statement is retried alone as a PutItem (with the SDK\'s backoff), not failed', async () => {
    const { batcher, calls } = stubDynamoDb({
      statement: (id) => (id === 'b' ? { Error: { Code: 'ProvisionedThroughputExceeded', Message: 'slow down' } } : {}),
      taken: new Set(['never']),
    });
    await expect(Promise.all(['a', 'b', 'c'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true, true]);
    expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
      ['BatchExecuteStatementCommand', ['a', 'b', 'c']],
      ['PutItemCommand', ['b']],
    ]);
  });

  it('a whole call that fails rejects every claim in it', async () => {
    const boom = Object.assign(new Error('endpoint down'), { name: 'InternalServerError' });
    const { batcher, calls } = stubDynamoDb({ batchError: boom });
    const settled = await Promise.allSettled(['a', 'b'].map((id) => batcher.claim(request(id))));
    expect(settled.map((s) => (s as PromiseRejectedResult).reason)).toEqual([boom, boom]);
    expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand']);
  });

  it('AccessDenied on BatchExecuteStatement: those claims and all later ones go out as PutItem, with one warning', async () => {
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:PartiQLInsert'), { name: 'AccessDeniedException' });
    const { batcher, calls } = stubDynamoDb({ batchError: denied, taken: new Set(['b']) });
    const logger = silentLogger();
    await expect(Promise.all(['a', 'b', 'c'].map((id) => batcher.claim(request(id), logger)))).resolves.toEqual([true, false, true]);
    await expect(Promise.all(['d', 'e'].map((id) => batcher.claim(request(id), logger)))).resolves.toEqual([true, true]);
    expect(calls.map((c) => c.command)).toEqual([
      'BatchExecuteStatementCommand',
      'PutItemCommand',
      'PutItemCommand',
      'PutItemCommand',
      'PutItemCommand',
      'PutItemCommand',
    ]);
    expect(calls.slice(1).flatMap(idsOf)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toContain('dynamodb:PartiQLInsert');
  });

  it('warns once even when several batches in flight are refused', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    const { batcher } = stubDynamoDb({ batchError: denied });
    const logger = silentLogger();
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await expect(Promise.all(ids.map((id) => batcher.claim(request(id), logger)))).resolves.toEqual(ids.map(() => true));
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});
