/**
 * ClaimBatcher with a stubbed DynamoDB client (unit test): claims made in one turn go out as
 * BatchExecuteStatement calls of up to 25 INSERTs; two claims of one call id never share a call;
 * DuplicateItem means "already claimed"; another per-statement error fails only its own claim;
 * throttled, transient and AccessDenied statements are retried alone as PutItem, which knows its own
 * earlier write; a refused BatchExecuteStatement falls back to PutItem with one warning, unless the
 * refusal was about a key rather than the principal.
 */
import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeValue,
  type BatchExecuteStatementCommandInput,
  type BatchStatementResponse,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ClaimWriteError } from '../../runtime/errors';
import { ClaimBatcher, MAX_CLAIMS_PER_BATCH, type AwsClients, type ClaimRequest } from '../../runtime/transport';

type Input = BatchExecuteStatementCommandInput | PutItemCommandInput;
type Item = Record<string, AttributeValue>;

interface Call {
  readonly command: string;
  readonly input: Input;
}

interface StubOptions {
  /**
   * Answers one statement of a batch by the call id it inserts (default: inserted, and the item
   * goes on the table). `write` puts the statement's item on the table, for an answer that says
   * the statement failed although DynamoDB applied it.
   */
  readonly statement?: (callId: string, write: () => void) => BatchStatementResponse;
  /** Thrown by every BatchExecuteStatement call instead of answering (by the first `batchErrorTimes` only, when given). */
  readonly batchError?: Error;
  readonly batchErrorTimes?: number;
  /** Call ids whose PutItem finds the key taken (by an item of another delivery). */
  readonly taken?: ReadonlySet<string>;
  /** Call ids whose PutItem IAM refuses (a key the grant's key condition denies). */
  readonly putDenied?: ReadonlySet<string>;
  /**
   * Call ids whose first PutItem DynamoDB applies but whose answer is lost: the SDK sends it again,
   * and the retry finds the item the first try wrote.
   */
  readonly putAnswerLost?: Set<string>;
  /** Call ids whose first PutItem is applied, then the SDK gives up retrying with an error. */
  readonly putAppliedThenError?: Set<string>;
  /**
   * The first BatchExecuteStatement is applied but its answer lost: the SDK sends it again, and
   * that attempt's answer (which says `$metadata.attempts: 2`) is what the batcher sees.
   */
  readonly batchAnswerLost?: boolean;
  /** Every BatchExecuteStatement is applied, then fails: what a call the SDK retried until it gave up looks like. */
  readonly batchAppliedThenError?: Error;
}

const accessDenied = (message = 'not authorized to perform: dynamodb:PartiQLInsert') =>
  Object.assign(new Error(message), { name: 'AccessDeniedException' });

/** The item a statement inserts, from its attribute list and parameters. */
function statementItem(statement: { Statement?: string; Parameters?: AttributeValue[] }): Item {
  const names = [...(statement.Statement ?? '').matchAll(/'([^']+)': \?/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((name, i) => [name, statement.Parameters![i]!]));
}

function stubDynamoDb(options: StubOptions = {}) {
  const calls: Call[] = [];
  let batchErrorsLeft = options.batchErrorTimes ?? Infinity;
  let batchAnswerLostDone = false;
  /** The results table: what the claims wrote, by call id. */
  const table = new Map<string, Item>();
  for (const id of options.taken ?? []) table.set(id, { pk: { S: id }, claimedBy: { S: 'another-worker' } });
  const putItem = (input: PutItemCommandInput) => {
    const id = input.Item?.pk?.S ?? '';
    if (options.putDenied?.has(id)) throw accessDenied('not authorized to perform: dynamodb:PutItem');
    if (options.putAnswerLost?.delete(id)) table.set(id, input.Item!);
    if (options.putAppliedThenError?.delete(id)) {
      table.set(id, input.Item!);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: { attempts: 4 } });
    }
    const old = table.get(id);
    if (old) {
      // Like DynamoDB: the existing item comes back only when asked for.
      const returned = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: old } : {};
      throw new ConditionalCheckFailedException({ message: 'taken', $metadata: {}, ...returned });
    }
    table.set(id, input.Item!);
    return {};
  };
  const statement = (s: { Statement?: string; Parameters?: AttributeValue[] }): BatchStatementResponse => {
    const id = s.Parameters?.[0]?.S ?? '';
    const write = () => table.set(id, statementItem(s));
    if (options.statement) return options.statement(id, write);
    if (table.has(id)) return { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } };
    write();
    return {};
  };
  const dynamoDb = {
    send: async (command: BatchExecuteStatementCommand | PutItemCommand) => {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command instanceof PutItemCommand) return putItem(command.input);
      if (options.batchError && batchErrorsLeft-- > 0) throw options.batchError;
      if (options.batchAppliedThenError) {
        (command.input.Statements ?? []).map(statement);
        throw options.batchAppliedThenError;
      }
      if (options.batchAnswerLost && !batchAnswerLostDone) {
        batchAnswerLostDone = true;
        (command.input.Statements ?? []).map(statement); // applied; the answer never arrives
        return { Responses: (command.input.Statements ?? []).map(statement), $metadata: { attempts: 2 } };
      }
      return { Responses: (command.input.Statements ?? []).map(statement), $metadata: { attempts: 1 } };
    },
  };
  return { batcher: new ClaimBatcher({ dynamoDb } as unknown as AwsClients), calls, table };
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
    expect(statement.Statement).toBe(
      `INSERT INTO "t-results" VALUE {'pk': ?, 'state': ?, 'api': ?, 'procedure': ?, 'claimedBy': ?, 'claimedAt': ?, 'claimToken': ?, 'expiresAt': ?}`,
    );
    expect(statement.Parameters).toEqual([
      { S: 'a' },
      { S: 'claimed' },
      { S: 'shop' },
      { S: 'buy' },
      { S: 'worker-1' },
      { N: expect.stringMatching(/^\d{13}$/) },
      { S: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      { N: '2000000000' },
    ]);
    const tokens = (calls[0]!.input as BatchExecuteStatementCommandInput).Statements!.map((s) => s.Parameters![6]!.S);
    expect(new Set(tokens).size).toBe(2);
  });

  it('a lone claim goes out in its own turn as a conditional PutItem, without waiting for company', async () => {
    const { batcher, calls } = stubDynamoDb();
    await expect(batcher.claim(request('alone'))).resolves.toBe(true);
    expect(calls.map((c) => c.command)).toEqual(['PutItemCommand']);
    expect((calls[0]!.input as PutItemCommandInput).ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect((calls[0]!.input as PutItemCommandInput).ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
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

  it('puts a second claim of the same call id in another call, never in the same one', async () => {
    // The stub's table: the first INSERT of a key wins, a later one finds it (DuplicateItem).
    const { batcher, calls } = stubDynamoDb();
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
      statement: (id, write) => (id === 'b' ? { Error: { Code: 'ProvisionedThroughputExceeded', Message: 'slow down' } } : (write(), {})),
    });
    await expect(Promise.all(['a', 'b', 'c'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true, true]);
    expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
      ['BatchExecuteStatementCommand', ['a', 'b', 'c']],
      ['PutItemCommand', ['b']],
    ]);
  });

  it('a whole call that fails is retried claim by claim as PutItem', async () => {
    const boom = Object.assign(new Error('endpoint down'), { name: 'InternalServerError' });
    const { batcher, calls } = stubDynamoDb({ batchError: boom });
    await expect(Promise.all(['a', 'b'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true]);
    expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
      ['BatchExecuteStatementCommand', ['a', 'b']],
      ['PutItemCommand', ['a']],
      ['PutItemCommand', ['b']],
    ]);
  });

  it('a call DynamoDB applied but answered with an error: the PutItem retry finds its own claim, so the call still runs', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const { batcher } = stubDynamoDb({ batchAppliedThenError: timeout, taken: new Set(['other']) });
    await expect(Promise.all(['a', 'b', 'other'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true, false]);
  });

  it('a whole call that fails rejects a claim only when its PutItem retry fails too', async () => {
    const boom = Object.assign(new Error('endpoint down'), { name: 'InternalServerError' });
    const { batcher } = stubDynamoDb({ batchError: boom, putDenied: new Set(['a']) });
    const settled = await Promise.allSettled(['a', 'b'].map((id) => batcher.claim(request(id))));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('AccessDenied on BatchExecuteStatement: those claims and all later ones go out as PutItem, with one warning', async () => {
    const denied = accessDenied();
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
    const { batcher } = stubDynamoDb({ batchError: accessDenied() });
    const logger = silentLogger();
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await expect(Promise.all(ids.map((id) => batcher.claim(request(id), logger)))).resolves.toEqual(ids.map(() => true));
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
  describe('a statement denied by IAM (AccessDenied)', () => {
    const deniedStatement: BatchStatementResponse = { Error: { Code: 'AccessDenied', Message: 'not authorized to perform: dynamodb:PartiQLInsert' } };

    it('is retried alone as a PutItem, not failed', async () => {
      const { batcher, calls } = stubDynamoDb({ statement: (id, write) => (id === 'b' ? deniedStatement : (write(), {})) });
      await expect(Promise.all(['a', 'b', 'c'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true, true]);
      expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
        ['BatchExecuteStatementCommand', ['a', 'b', 'c']],
        ['PutItemCommand', ['b']],
      ]);
    });

    it('on one key only keeps the process batching, without a warning', async () => {
      const { batcher, calls } = stubDynamoDb({ statement: (id, write) => (id.startsWith('denied-') ? deniedStatement : (write(), {})) });
      const logger = silentLogger();
      await Promise.all(['a', 'denied-x'].map((id) => batcher.claim(request(id), logger)));
      await Promise.all(['c', 'd'].map((id) => batcher.claim(request(id), logger)));
      expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand', 'PutItemCommand', 'BatchExecuteStatementCommand']);
      expect(logger.warn).not.toHaveBeenCalled();
    });

    it('on every statement, with the PutItems let through: later claims go out as PutItem, with one warning', async () => {
      const { batcher, calls } = stubDynamoDb({ statement: () => deniedStatement, taken: new Set(['b']) });
      const logger = silentLogger();
      await expect(Promise.all(['a', 'b', 'c'].map((id) => batcher.claim(request(id), logger)))).resolves.toEqual([true, false, true]);
      await expect(Promise.all(['d', 'e'].map((id) => batcher.claim(request(id), logger)))).resolves.toEqual([true, true]);
      expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
        ['BatchExecuteStatementCommand', ['a', 'b', 'c']],
        ['PutItemCommand', ['a']],
        ['PutItemCommand', ['b']],
        ['PutItemCommand', ['c']],
        ['PutItemCommand', ['d']],
        ['PutItemCommand', ['e']],
      ]);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0]![0]).toContain('dynamodb:PartiQLInsert');
    });

    it('on every statement of keys IAM refuses PutItem too: those claims fail, the process keeps batching', async () => {
      const odd = ['denied-x', 'denied-y'];
      const { batcher, calls } = stubDynamoDb({
        statement: (id, write) => (id.startsWith('denied-') ? deniedStatement : (write(), {})),
        putDenied: new Set(odd),
      });
      const logger = silentLogger();
      const settled = await Promise.allSettled(odd.map((id) => batcher.claim(request(id), logger)));
      expect(settled.map((s) => (s as PromiseRejectedResult).reason?.name)).toEqual(['AccessDeniedException', 'AccessDeniedException']);
      await Promise.all(['c', 'd'].map((id) => batcher.claim(request(id), logger)));
      expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand', 'PutItemCommand', 'PutItemCommand', 'BatchExecuteStatementCommand']);
      expect(logger.warn).not.toHaveBeenCalled();
    });
  });

  it('refuses, before any write, a claim whose id is not a call-result key (another kind\'s key), without failing the batch', async () => {
    const { batcher, calls } = stubDynamoDb({});
    const logger = silentLogger();
    const settled = await Promise.allSettled(['a', 'schema#x', 'task#reports#nightly#2024-05-01T03:00:00.000Z', 'b'].map((id) => batcher.claim(request(id), logger)));
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).name : s.value))).toEqual([true, 'InvalidTableKeyError', 'InvalidTableKeyError', true]);
    expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand']);
    expect(JSON.stringify(calls)).not.toContain('#');
  });

  it('AccessDenied on a whole BatchExecuteStatement caused by one key IAM refuses keeps the process batching', async () => {
    // Only the call that holds the refused key is refused.
    const { batcher, calls } = stubDynamoDb({ batchError: accessDenied(), batchErrorTimes: 1, putDenied: new Set(['denied-x']) });
    const logger = silentLogger();
    const settled = await Promise.allSettled(['a', 'denied-x'].map((id) => batcher.claim(request(id), logger)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    await Promise.all(['c', 'd'].map((id) => batcher.claim(request(id), logger)));
    expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand', 'PutItemCommand', 'PutItemCommand', 'BatchExecuteStatementCommand']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  describe('a claim that finds its own earlier write', () => {
    it('after a transient statement error that DynamoDB applied anyway: claimed, not a duplicate', async () => {
      const { batcher, calls } = stubDynamoDb({
        statement: (id, write) => {
          write();
          return id === 'b' ? { Error: { Code: 'InternalServerError', Message: 'internal' } } : {};
        },
      });
      await expect(Promise.all(['a', 'b'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true]);
      expect(calls.map((c) => c.command)).toEqual(['BatchExecuteStatementCommand', 'PutItemCommand']);
    });

    it('when the SDK retries a PutItem whose first try was applied: claimed, not a duplicate', async () => {
      const { batcher } = stubDynamoDb({ putAnswerLost: new Set(['alone']) });
      await expect(batcher.claim(request('alone'))).resolves.toBe(true);
    });

    it('another delivery\'s claim from the same process in the same millisecond is still a duplicate', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(1_764_079_996_012);
      try {
        const { batcher, table } = stubDynamoDb();
        await expect(batcher.claim(request('a'))).resolves.toBe(true);
        expect(table.get('a')?.claimedAt).toEqual({ N: '1764079996012' });
        // Same claimedBy, same claimedAt: only the attempt token tells the two claims apart.
        await expect(batcher.claim(request('a'))).resolves.toBe(false);
      } finally {
        jest.restoreAllMocks();
      }
    });

    it('a retry that finds another delivery\'s claim is a duplicate', async () => {
      const { batcher } = stubDynamoDb({
        statement: (id, write) => (id === 'b' ? { Error: { Code: 'ThrottlingError', Message: 'slow down' } } : (write(), {})),
        taken: new Set(['b']),
      });
      await expect(Promise.all(['a', 'b'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, false]);
    });
  });
  it('after the SDK retried a whole batch, a DuplicateItem that is its own earlier INSERT is claimed, not dropped', async () => {
    const { batcher, calls } = stubDynamoDb({ batchAnswerLost: true });
    await expect(Promise.all(['a', 'b'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, true]);
    // Each duplicate is checked with a PutItem whose ALL_OLD shows the claim's own token.
    expect(calls.map((c) => [c.command, idsOf(c)])).toEqual([
      ['BatchExecuteStatementCommand', ['a', 'b']],
      ['PutItemCommand', ['a']],
      ['PutItemCommand', ['b']],
    ]);
  });

  it('after the SDK retried a whole batch, another delivery\'s claim is still a duplicate', async () => {
    const { batcher } = stubDynamoDb({ batchAnswerLost: true, taken: new Set(['b']) });
    await expect(Promise.all(['a', 'b'].map((id) => batcher.claim(request(id))))).resolves.toEqual([true, false]);
  });
  it('a lone PutItem claim the SDK gave up on after an applied try: one more look finds its own claim', async () => {
    const { batcher, calls } = stubDynamoDb({ putAppliedThenError: new Set(['alone']) });
    await expect(batcher.claim(request('alone'))).resolves.toBe(true);
    expect(calls.map((c) => c.command)).toEqual(['PutItemCommand', 'PutItemCommand']);
  });

  it('a lone PutItem failing on its first try is not looked at again (no SDK retries: nothing applied)', async () => {
    const { batcher, calls } = stubDynamoDb({ putDenied: new Set(['alone']) });
    await expect(batcher.claim(request('alone'))).rejects.toThrow(/PutItem/);
    expect(calls).toHaveLength(1);
  });
});
