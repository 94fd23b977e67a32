/**
 * Batched result writes against the emulator (runtime/transport/result-batcher.ts): the results
 * of calls a worker dispatched together go out as one BatchExecuteStatement of UPDATEs, and a
 * batched write leaves every item exactly as the UpdateItem it replaces: a call another process
 * already answered keeps its first result, a call with no claim gets no item.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type BatchExecuteStatementCommandInput } from '@aws-sdk/client-dynamodb';
import { Dispatcher } from '../../runtime/dispatch';
import { provisionTopology } from '../../local';
import type { ResultOutcome } from '../../runtime/transport';
import { lightbus, mathApi, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

async function mathService() {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'math', apis: [mathApi] })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'done' });
  await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
  const sent: { command: string; input: unknown }[] = [];
  bus.transports.clients.dynamoDb.middlewareStack.add(
    (next, context) => (args) => {
      sent.push({ command: context.commandName ?? 'unknown', input: args.input });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const table = bus.transports.location.resultsTable;
  const item = async (key: string) =>
    (await bus.transports.clients.dynamoDb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true }))).Item;
  const put = (fields: Record<string, AttributeValue>) => bus.transports.clients.dynamoDb.send(new PutItemCommand({ TableName: table, Item: fields }));
  return { bus, sent, table, item, put };
}

const statementsOf = (input: unknown) => (input as BatchExecuteStatementCommandInput).Statements ?? [];

describe('batched result writes', () => {
  it('writes the results of calls dispatched together with one BatchExecuteStatement of UPDATEs', async () => {
    const { bus, sent, table, item } = await mathService();
    const queueName = bus.topology().rpcQueues[0]!.queueName;
    const ids = [1, 2, 3].map((n) => `batched-${n}-${Date.now()}`);
    const body = (id: string, a: number) =>
      JSON.stringify({ v: 1, kind: 'lightbus.rpc', id, api: 'math', procedure: 'add', parameters: { a, b: 1 }, deadline: Date.now() + 30_000, returnPath: { table } });
    const dispatcher = new Dispatcher(bus);
    // What a worker does with one received batch: dispatch every message in the same turn.
    const outcomes = await Promise.all(ids.map((id, n) => dispatcher.dispatch({ messageId: `m${n}`, body: body(id, n), receiptHandle: `r${n}`, receiveCount: 1, queueName })));
    expect(outcomes).toEqual([{ kind: 'done' }, { kind: 'done' }, { kind: 'done' }]);
    const commands = sent.map((s) => s.command);
    expect(commands).toEqual(['BatchExecuteStatementCommand', 'BatchExecuteStatementCommand']);
    expect(statementsOf(sent[1]!.input).map((s) => s.Statement?.split(' ')[0])).toEqual(['UPDATE', 'UPDATE', 'UPDATE']);
    const results = await bus.transports.results.readMany(table, ids);
    expect(ids.map((id) => results.get(id))).toEqual([0, 1, 2].map((n) => ({ state: 'ok', resultJson: String(n + 1) })));
    const stored = await item(ids[0]!);
    expect(stored).toMatchObject({ state: { S: 'ok' }, claimedBy: { S: expect.any(String) }, completedAt: { N: expect.stringMatching(/^\d+$/) } });
    expect(stored?.traceparent?.S).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('leaves each item as the UpdateItem did: an answered call keeps its first result, a call with no claim gets none, a claim is completed, a claim of another process alike', async () => {
    const { bus, sent, table, item, put } = await mathService();
    const stamp = Date.now();
    const outcome: ResultOutcome = { ok: true, resultJson: '"second"' };
    /** Sets up the three cases under `prefix`, writes their results (together, or one at a time), and reads the items back. */
    const run = async (prefix: string, together: boolean) => {
      const answered = `${prefix}-answered-${stamp}`;
      const absent = `${prefix}-absent-${stamp}`;
      const claimed = `${prefix}-claimed-${stamp}`;
      const claimedElsewhere = `${prefix}-elsewhere-${stamp}`;
      // Another process claimed and answered `answered`; this process claimed `claimed`.
      await put({ pk: { S: answered }, state: { S: 'ok' }, claimedBy: { S: 'another-process' }, result: { S: '"first"' }, completedAt: { N: '1' } });
      await put({ pk: { S: claimed }, state: { S: 'claimed' }, claimedBy: { S: 'this-process' } });
      // Claimed by another process, not answered yet: the condition is on the state only, so either
      // write goes through; the batched one must do just what the UpdateItem does.
      await put({ pk: { S: claimedElsewhere }, state: { S: 'claimed' }, claimedBy: { S: 'another-process' } });
      const complete = (id: string) => bus.transports.results.complete(table, id, outcome, 2_000_000_000, true, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      sent.length = 0;
      if (together) await Promise.all([answered, absent, claimed, claimedElsewhere].map(complete));
      else for (const id of [answered, absent, claimed, claimedElsewhere]) await complete(id);
      const commands = sent.map((s) => s.command);
      const items = await Promise.all([answered, absent, claimed, claimedElsewhere].map(item));
      // Keys and completion times differ between the two runs by construction.
      return { commands, items: items.map((i) => i && Object.fromEntries(Object.entries(i).filter(([k]) => k !== 'pk' && !(k === 'completedAt' && i.result?.S === '"second"')))) };
    };
    const batched = await run('b', true);
    const alone = await run('u', false);
    expect(batched.commands).toEqual(['BatchExecuteStatementCommand']);
    expect(alone.commands).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    expect(batched.items).toEqual(alone.items);
    const [answered, absent, claimed] = batched.items;
    expect(answered).toEqual({ state: { S: 'ok' }, claimedBy: { S: 'another-process' }, result: { S: '"first"' }, completedAt: { N: '1' } });
    expect(absent).toBeUndefined();
    expect(claimed).toEqual({
      state: { S: 'ok' },
      claimedBy: { S: 'this-process' },
      result: { S: '"second"' },
      expiresAt: { N: '2000000000' },
      traceparent: { S: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
  });
});
