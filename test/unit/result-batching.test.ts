/**
 * ResultBatcher (and ResultsStore.complete) with a stubbed DynamoDB client (unit test): the
 * claimed results written in one turn go out as BatchExecuteStatement calls of up to 25 PartiQL
 * UPDATEs (and within the byte cap) carrying the UpdateItem's condition; the item they write is the
 * UpdateItem's; a lone result and an unclaimed one are UpdateItems; ConditionalCheckFailed reads as
 * UpdateItem's (the first result stands); any other statement error retries that result alone as
 * UpdateItem, whose own outcome the caller gets; a refused BatchExecuteStatement falls back to
 * UpdateItem with one warning.
 */
import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type BatchExecuteStatementCommandInput,
  type BatchStatementRequest,
  type BatchStatementResponse,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  MAX_RESULT_BATCH_BYTES,
  MAX_RESULTS_PER_BATCH,
  ResultBatcher,
  ResultsStore,
  type AwsClients,
  type ResultWrite,
} from '../../runtime/transport';

type Item = Record<string, AttributeValue>;

interface Call {
  readonly command: string;
  readonly input: BatchExecuteStatementCommandInput | UpdateItemCommandInput;
}

interface StubOptions {
  /** Answers one UPDATE by the call id it names, instead of applying it. */
  readonly statement?: (callId: string) => BatchStatementResponse | undefined;
  /** Thrown by the first `batchErrorTimes` (default: every) BatchExecuteStatement call. */
  readonly batchError?: Error;
  readonly batchErrorTimes?: number;
  /** Thrown by UpdateItem for these call ids. */
  readonly updateError?: ReadonlyMap<string, Error>;
  /** Answers with fewer responses than statements. */
  readonly dropResponses?: number;
}

const sdkError = (name: string, message = name) => Object.assign(new Error(message), { name });

/** The call id an UPDATE names: the WHERE's key parameter, second to last. */
const statementCallId = (s: BatchStatementRequest) => s.Parameters?.at(-2)?.S ?? '';

/** What an UPDATE sets, by attribute name: its `"name" = ?` assignments and their parameters. */
function statementSets(s: BatchStatementRequest): Item {
  const setPart = (s.Statement ?? '').split(' WHERE ')[0]!;
  const names = [...setPart.matchAll(/"([^"]+)" = \?/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((name, i) => [name, s.Parameters![i]!]));
}

/** What an UpdateItem sets, by attribute name. */
function updateItemSets(input: UpdateItemCommandInput): Item {
  const assignments = (input.UpdateExpression ?? '').replace(/^SET /, '').split(', ');
  return Object.fromEntries(
    assignments.map((a) => {
      const [name, value] = a.split(' = ') as [string, string];
      return [input.ExpressionAttributeNames![name]!, input.ExpressionAttributeValues![value]!];
    }),
  );
}

/** A results table of claims (state `claimed`) and answers, written by UpdateItem and batched UPDATEs alike. */
function stubDynamoDb(options: StubOptions = {}) {
  const calls: Call[] = [];
  const table = new Map<string, Item>();
  let batchErrorsLeft = options.batchErrorTimes ?? Infinity;
  const apply = (callId: string, sets: Item): boolean => {
    const item = table.get(callId);
    if (item?.state?.S !== 'claimed') return false;
    table.set(callId, { ...item, ...sets });
    return true;
  };
  const dynamoDb = {
    send: async (command: BatchExecuteStatementCommand | UpdateItemCommand) => {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command instanceof UpdateItemCommand) {
        const input = command.input;
        const callId = input.Key?.pk?.S ?? '';
        const error = options.updateError?.get(callId);
        if (error) throw error;
        const applied =
          input.ConditionExpression === 'attribute_not_exists(#pk)'
            ? !table.has(callId) && table.set(callId, { pk: { S: callId }, ...updateItemSets(input) })
            : input.ConditionExpression === '#state = :claimed' && apply(callId, updateItemSets(input));
        if (!applied) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        return {};
      }
      if (options.batchError && batchErrorsLeft-- > 0) throw options.batchError;
      const responses = (command.input.Statements ?? []).map((s): BatchStatementResponse => {
        const callId = statementCallId(s);
        const answer = options.statement?.(callId);
        if (answer) return answer;
        expect(s.Statement).toMatch(/ WHERE "pk" = \? AND "state" = \?$/);
        expect(s.Parameters?.at(-1)).toEqual({ S: 'claimed' });
        return apply(callId, statementSets(s)) ? {} : { Error: { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } };
      });
      return { Responses: responses.slice(0, responses.length - (options.dropResponses ?? 0)), $metadata: { attempts: 1 } };
    },
  };
  const claim = (...ids: string[]) => ids.forEach((id) => table.set(id, { pk: { S: id }, state: { S: 'claimed' } }));
  const clients = { dynamoDb } as unknown as AwsClients;
  return { batcher: new ResultBatcher(clients), store: new ResultsStore(clients), calls, table, claim };
}

const write = (callId: string, resultJson = '1', table = 't-results'): ResultWrite => ({
  table,
  callId,
  outcome: { ok: true, resultJson },
  expiresAtEpochSeconds: 2_000_000_000,
  trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' },
});

/** The call ids a recorded call writes, in order. */
function idsOf(call: Call): string[] {
  if (call.command === 'UpdateItemCommand') return [(call.input as UpdateItemCommandInput).Key?.pk?.S ?? ''];
  return ((call.input as BatchExecuteStatementCommandInput).Statements ?? []).map(statementCallId);
}

const commands = (calls: readonly Call[]) => calls.map((c) => c.command);
/** Without the completion time, which differs between two writes of the same result. */
const withoutTime = (item: Item | undefined) => {
  const { completedAt, ...rest } = item ?? {};
  expect(completedAt?.N).toMatch(/^\d+$/);
  return rest;
};

describe('ResultBatcher', () => {
  it('sends N results of one turn as ceil(N / 25) BatchExecuteStatement calls of UPDATEs', async () => {
    const { batcher, calls, table, claim } = stubDynamoDb();
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    claim(...ids);
    await Promise.all(ids.map((id) => batcher.complete(write(id, `"r-${id}"`))));
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand', 'BatchExecuteStatementCommand', 'BatchExecuteStatementCommand']);
    expect(calls.map((c) => idsOf(c).length)).toEqual([MAX_RESULTS_PER_BATCH, MAX_RESULTS_PER_BATCH, 10]);
    expect(calls.flatMap(idsOf)).toEqual(ids);
    for (const id of ids) expect(table.get(id)?.result).toEqual({ S: `"r-${id}"` });
  });

  it('writes the item an UpdateItem writes (state, payload, expiry, trace), for a result, a payload reference and an error', async () => {
    const outcomes: ResultWrite['outcome'][] = [
      { ok: true, resultJson: '{"a":1}' },
      { ok: true, resultRefJson: '{"bucket":"b","key":"shop/result/1"}' },
      { ok: false, error: { name: 'ValidationError', message: 'no' } },
    ];
    const batched = stubDynamoDb();
    const alone = stubDynamoDb();
    const ids = outcomes.map((_, i) => `c${i}`);
    batched.claim(...ids);
    alone.claim(...ids);
    await Promise.all(outcomes.map((outcome, i) => batched.batcher.complete({ ...write(ids[i]!), outcome })));
    for (const [i, outcome] of outcomes.entries()) await alone.batcher.complete({ ...write(ids[i]!), outcome });
    expect(commands(batched.calls)).toEqual(['BatchExecuteStatementCommand']);
    expect(commands(alone.calls)).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    for (const id of ids) expect(withoutTime(batched.table.get(id))).toEqual(withoutTime(alone.table.get(id)));
    expect(batched.table.get('c0')).toMatchObject({ state: { S: 'ok' }, result: { S: '{"a":1}' }, expiresAt: { N: '2000000000' }, tracestate: { S: 'vendor=1' } });
    expect(batched.table.get('c1')).toMatchObject({ state: { S: 'ok' }, resultRef: { S: '{"bucket":"b","key":"shop/result/1"}' } });
    expect(batched.table.get('c1')?.result).toBeUndefined();
    expect(batched.table.get('c2')).toMatchObject({ state: { S: 'error' }, error: { S: '{"name":"ValidationError","message":"no"}' } });
  });

  it('sends a lone result as a plain UpdateItem over the claim', async () => {
    const { batcher, calls, table, claim } = stubDynamoDb();
    claim('solo');
    await batcher.complete(write('solo'));
    expect(commands(calls)).toEqual(['UpdateItemCommand']);
    expect((calls[0]!.input as UpdateItemCommandInput).ConditionExpression).toBe('#state = :claimed');
    expect(table.get('solo')?.state).toEqual({ S: 'ok' });
  });

  it('keeps a batch under its byte cap: large results start a new call, and one left alone is an UpdateItem', async () => {
    const { batcher, calls, table, claim } = stubDynamoDb();
    const big = 'x'.repeat(Math.floor(MAX_RESULT_BATCH_BYTES / 3) - 2_000);
    const ids = ['b1', 'b2', 'b3', 'b4'];
    claim(...ids);
    await Promise.all(ids.map((id) => batcher.complete(write(id, JSON.stringify(big)))));
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand', 'UpdateItemCommand']);
    expect(calls.map(idsOf)).toEqual([['b1', 'b2', 'b3'], ['b4']]);
    for (const id of ids) expect(table.get(id)?.result?.S).toHaveLength(big.length + 2);
  });

  it('never puts two writes of one call in one call', async () => {
    const { batcher, calls, claim } = stubDynamoDb();
    claim('a', 'b');
    await Promise.all([batcher.complete(write('a')), batcher.complete(write('b')), batcher.complete(write('a', '2'))]);
    for (const call of calls) expect(new Set(idsOf(call)).size).toBe(idsOf(call).length);
    expect(calls.flatMap(idsOf).sort()).toEqual(['a', 'a', 'b']);
  });

  it('resolves a result whose UPDATE finds no claim (answered already, or absent), leaving the first result, as UpdateItem did', async () => {
    const { batcher, calls, table, claim } = stubDynamoDb();
    claim('fresh');
    table.set('answered', { pk: { S: 'answered' }, state: { S: 'ok' }, result: { S: '"first"' } });
    await expect(Promise.all([batcher.complete(write('fresh')), batcher.complete(write('answered', '"second"')), batcher.complete(write('absent'))])).resolves.toBeDefined();
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand']);
    expect(table.get('answered')?.result).toEqual({ S: '"first"' });
    expect(table.has('absent')).toBe(false);
    expect(table.get('fresh')?.state).toEqual({ S: 'ok' });
  });

  it('retries a result whose statement failed otherwise alone as UpdateItem, and the caller gets that outcome', async () => {
    const tooLarge = sdkError('ValidationException', 'Item size to update has exceeded the maximum allowed size');
    const { batcher, calls, table, claim } = stubDynamoDb({
      statement: (id) =>
        id === 'throttled' ? { Error: { Code: 'ProvisionedThroughputExceeded', Message: 'slow down' } }
        : id === 'huge' ? { Error: { Code: 'ValidationError', Message: 'Item size to update has exceeded the maximum allowed size' } }
        : undefined,
      updateError: new Map([['huge', tooLarge]]),
    });
    claim('ok', 'throttled', 'huge');
    const outcomes = await Promise.allSettled(['ok', 'throttled', 'huge'].map((id) => batcher.complete(write(id))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    // The UpdateItem's own error: the dispatcher classifies it as before (ValidationException: permanent).
    expect((outcomes[2] as PromiseRejectedResult).reason).toBe(tooLarge);
    expect(calls.slice(1).map(idsOf).sort()).toEqual([['huge'], ['throttled']]);
    expect(table.get('throttled')?.state).toEqual({ S: 'ok' });
  });

  it('retries a result alone when its response is missing', async () => {
    const { batcher, calls, table, claim } = stubDynamoDb({ dropResponses: 1 });
    claim('a', 'b');
    await Promise.all([batcher.complete(write('a')), batcher.complete(write('b'))]);
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand', 'UpdateItemCommand']);
    expect(idsOf(calls[1]!)).toEqual(['b']);
    expect(table.get('b')?.state).toEqual({ S: 'ok' });
  });

  it('retries each result alone when the whole call fails transiently, and keeps batching', async () => {
    const { batcher, calls, claim } = stubDynamoDb({ batchError: sdkError('InternalServerError'), batchErrorTimes: 1 });
    const logger = { warn: jest.fn() };
    claim('a', 'b', 'c', 'd');
    await Promise.all([batcher.complete(write('a'), logger), batcher.complete(write('b'), logger)]);
    await Promise.all([batcher.complete(write('c'), logger), batcher.complete(write('d'), logger)]);
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'BatchExecuteStatementCommand']);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it.each<[string, StubOptions]>([
    ['the whole call is refused (AccessDeniedException)', { batchError: sdkError('AccessDeniedException', 'not authorized to perform: dynamodb:PartiQLUpdate') }],
    ['every statement is refused (AccessDenied)', { statement: () => ({ Error: { Code: 'AccessDenied', Message: 'not authorized to perform: dynamodb:PartiQLUpdate' } }) }],
  ])('falls back to UpdateItem with one warning when %s', async (_, options) => {
    const { batcher, calls, table, claim } = stubDynamoDb(options);
    const logger = { warn: jest.fn() };
    claim('a', 'b', 'c', 'd');
    await Promise.all([batcher.complete(write('a'), logger), batcher.complete(write('b'), logger)]);
    await Promise.all([batcher.complete(write('c'), logger), batcher.complete(write('d'), logger)]);
    expect(commands(calls)).toEqual(['BatchExecuteStatementCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    for (const id of ['a', 'b', 'c', 'd']) expect(table.get(id)?.state).toEqual({ S: 'ok' });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toContain('dynamodb:PartiQLUpdate');
  });

  it('refuses an id that cannot key a call result before it joins a batch', async () => {
    const { batcher, calls, claim } = stubDynamoDb();
    claim('a');
    await expect(batcher.complete(write('task#svc#x'))).rejects.toThrow(/cannot key a call result/);
    await batcher.complete(write('a'));
    expect(calls.flatMap(idsOf)).toEqual(['a']);
  });
});

describe('ResultsStore.complete', () => {
  it('batches claimed results of one turn, and writes an unclaimed one at once as an UpdateItem where no item exists', async () => {
    const { store, calls, table, claim } = stubDynamoDb();
    claim('a', 'b');
    const unclaimed = store.complete('t-results', 'm', { ok: false, error: { name: 'MalformedMessageError', message: 'v2' } }, 1, false);
    // Sent before the turn ends: never held for a batch.
    expect(commands(calls)).toEqual(['UpdateItemCommand']);
    expect((calls[0]!.input as UpdateItemCommandInput).ConditionExpression).toBe('attribute_not_exists(#pk)');
    await unclaimed;
    expect(table.get('m')?.state).toEqual({ S: 'error' });
    // Over a claim it writes nothing, and resolves (the claim's own result will come).
    await store.complete('t-results', 'a', { ok: false, error: { name: 'MalformedMessageError', message: 'v2' } }, 1, false);
    expect(table.get('a')?.state).toEqual({ S: 'claimed' });
    await Promise.all([store.complete('t-results', 'a', { ok: true, resultJson: '1' }, 1), store.complete('t-results', 'b', { ok: true, resultJson: '2' }, 1)]);
    expect(commands(calls)).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'BatchExecuteStatementCommand']);
    expect(table.get('b')?.result).toEqual({ S: '2' });
  });
});
