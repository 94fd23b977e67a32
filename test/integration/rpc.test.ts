import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, RemoteError, RpcTimeoutError, UnknownMemberError, ValidationError, type DispatchOutcome } from '../../runtime';
import { Dispatcher } from '../../runtime/dispatch';
import { provisionTopology } from '../../local';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, TestFailure, track } from '../support/bus';

afterEach(stopAll);

/** A service that serves the math API, counting how often each procedure runs. */
function mathService(busName?: string) {
  const calls = { add: 0, fail: 0, slow: 0 };
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'math', apis: [mathApi], ...(busName ? { busName } : {}) })));
  bus.register(mathApi, {
    add: ({ a, b }) => {
      calls.add += 1;
      return a + b;
    },
    fail: ({ message }) => {
      calls.fail += 1;
      throw new TestFailure(message);
    },
    slow: async ({ ms }) => {
      calls.slow += 1;
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    },
  });
  return { bus, calls };
}

/** A caller that knows the API's definition but does not serve it. */
function mathCaller(busName: string) {
  return track(lightbus.create(testBusOptions({ busName, apis: [mathApi] })));
}

async function queueDepth(bus: ReturnType<typeof mathCaller>, queueName: string): Promise<number> {
  const url = await bus.transports.queues.locator.url(queueName);
  const out = await bus.transports.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** A math.add request on the wire, as a caller sends it (docs/wire-format.md). */
function addRequestBody(resultsTable: string, id: string, a = 1): string {
  return JSON.stringify({
    v: 1,
    kind: 'lightbus.rpc',
    id,
    api: 'math',
    procedure: 'add',
    parameters: { a, b: 1 },
    deadline: Date.now() + 30_000,
    returnPath: { table: resultsTable },
  });
}

describe('RPC through SQS and DynamoDB', () => {
  it('returns the procedure result to a caller in another bus client', async () => {
    const { bus } = mathService();
    await startWorker(bus);
    const caller = mathCaller(bus.settings.busName);
    await expect(caller.math.add({ a: 2, b: 3 })).resolves.toBe(5);
    // Untyped, by name.
    await expect(caller.call('math.add', { a: 40, b: 2 })).resolves.toBe(42);
  });

  it('serves many calls in flight at once, each with its own result', async () => {
    const { bus } = mathService();
    await startWorker(bus);
    const caller = mathCaller(bus.settings.busName);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => caller.math.add({ a: i, b: 1000 })));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i + 1000));
  });

  it('gives the caller the remote error with name, message and stack, and keeps serving', async () => {
    const { bus, calls } = mathService();
    await startWorker(bus);
    const caller = mathCaller(bus.settings.busName);
    const error = await caller.math.fail({ message: 'the disk is on fire' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    const remote = error as RemoteError;
    expect(remote.remoteName).toBe('TestFailure');
    expect(remote.remoteMessage).toBe('the disk is on fire');
    expect(remote.remoteStack).toContain('TestFailure: the disk is on fire');
    expect(remote.message).toContain('math.fail');
    expect(calls.fail).toBe(1);
    await expect(caller.math.add({ a: 1, b: 1 })).resolves.toBe(2);
  });

  it('times out with an error naming the API, procedure and timeout when no worker serves', async () => {
    const { bus } = mathService();
    // The queue exists (provisioned) but no worker consumes it.
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const caller = mathCaller(bus.settings.busName);
    const error = await caller.math.add({ a: 1, b: 2 }, { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as Error).message).toMatch(/math\.add got no result within 400 ms/);
    expect((error as Error).message).toMatch(/No worker may be serving the "math" API/);
  });

  it('drops a call whose deadline passed before a worker took it: it never runs late', async () => {
    const { bus, calls } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const caller = mathCaller(bus.settings.busName);
    await expect(caller.math.add({ a: 1, b: 2 }, { timeoutMs: 200 })).rejects.toBeInstanceOf(RpcTimeoutError);
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(bus);
    worker.on('message_processed', (_m, outcome) => outcomes.push(outcome));
    await eventually(() => outcomes.length === 1, 10_000, 'the expired call to be received');
    expect(outcomes[0]).toEqual({ kind: 'dropped', reason: 'expired' });
    expect(calls.add).toBe(0);
    // The expired message is gone from the queue, not retried.
    await eventually(async () => (await queueDepth(caller, bus.topology().rpcQueues[0]!.queueName)) === 0, 5000, 'queue empty');
  });

  it('runs a call delivered twice only once (the claim), and the first result stands', async () => {
    const { bus, calls } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const queueName = bus.topology().rpcQueues[0]!.queueName;
    const url = await bus.transports.queues.locator.url(queueName);
    const body = JSON.stringify({
      v: 1,
      kind: 'lightbus.rpc',
      id: `dup-${Date.now()}`,
      api: 'math',
      procedure: 'add',
      parameters: { a: 1, b: 1 },
      deadline: Date.now() + 30_000,
      returnPath: { table: bus.transports.location.resultsTable },
    });
    // Two identical messages: what an SQS duplicate delivery looks like to the worker.
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(bus);
    worker.on('message_processed', (_m, outcome) => outcomes.push(outcome));
    await eventually(() => outcomes.length === 2, 10_000, 'both deliveries');
    expect(calls.add).toBe(1);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['done', 'dropped']);
  });

  it('runs a call delivered twice only once when both copies are claimed in the same batch', async () => {
    const { bus, calls } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const queueName = bus.topology().rpcQueues[0]!.queueName;
    const request = (id: string, a: number) => addRequestBody(bus.transports.location.resultsTable, id, a);
    const duplicated = request(`dup-batch-${Date.now()}`, 1);
    const other = request(`other-${Date.now()}`, 2);
    const commands: string[] = [];
    bus.transports.clients.dynamoDb.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    // What a worker does with one received batch holding an SQS duplicate: dispatch every message
    // in the same turn, so their claims are gathered into one BatchExecuteStatement.
    const dispatcher = new Dispatcher(bus);
    const inbound = (body: string, n: number) => ({ messageId: `m${n}`, body, receiptHandle: `r${n}`, receiveCount: 1, queueName });
    const outcomes = await Promise.all([duplicated, other, duplicated].map((body, n) => dispatcher.dispatch(inbound(body, n))));
    expect(commands[0]).toBe('BatchExecuteStatementCommand');
    expect(calls.add).toBe(2);
    expect(outcomes[1]).toEqual({ kind: 'done' });
    expect([outcomes[0], outcomes[2]].map((o) => o.kind).sort()).toEqual(['done', 'dropped']);
    expect([outcomes[0], outcomes[2]]).toContainEqual({ kind: 'dropped', reason: 'duplicate' });
  });

  describe('a claim retried after its first write was applied', () => {
    const addRequest = (bus: ReturnType<typeof mathService>['bus'], id: string) => addRequestBody(bus.transports.location.resultsTable, id);
    const inbound = (bus: ReturnType<typeof mathService>['bus'], body: string, n: number) => ({
      messageId: `m${n}`,
      body,
      receiptHandle: `r${n}`,
      receiveCount: 1,
      queueName: bus.topology().rpcQueues[0]!.queueName,
    });

    it('runs the call when the SDK retries a PutItem claim whose answer was lost', async () => {
      const { bus, calls } = mathService();
      await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
      const sent: string[] = [];
      let lost = false;
      // Inside the SDK's retry loop: the first PutItem reaches DynamoDB, then its answer is lost.
      bus.transports.clients.dynamoDb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'PutItemCommand') return next(args);
          sent.push(context.commandName);
          const result = await next(args);
          if (lost) return result;
          lost = true;
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
        },
        // finalizeRequest, low priority: after the SDK's retry middleware (high priority), so within its loop.
        { step: 'finalizeRequest', priority: 'low', name: 'loseFirstAnswer' },
      );
      const outcome = await new Dispatcher(bus).dispatch(inbound(bus, addRequest(bus, `lost-${Date.now()}`), 0));
      expect(sent).toEqual(['PutItemCommand', 'PutItemCommand']);
      expect(outcome).toEqual({ kind: 'done' });
      expect(calls.add).toBe(1);
    });

    it('runs the call when a batched INSERT that was applied comes back InternalServerError', async () => {
      const { bus, calls } = mathService();
      await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
      const commands: string[] = [];
      bus.transports.clients.dynamoDb.middlewareStack.add(
        (next, context) => async (args) => {
          commands.push(context.commandName ?? 'unknown');
          const result = await next(args);
          if (context.commandName !== 'BatchExecuteStatementCommand') return result;
          // DynamoDB wrote the second claim, but its answer says it failed transiently.
          const output = result.output as { Responses?: { Error?: { Code: string; Message: string } }[] };
          output.Responses![1] = { Error: { Code: 'InternalServerError', Message: 'Internal server error' } };
          return result;
        },
        { step: 'initialize', name: 'failAppliedStatement' },
      );
      const ids = [`applied-a-${Date.now()}`, `applied-b-${Date.now()}`];
      const dispatcher = new Dispatcher(bus);
      const outcomes = await Promise.all(ids.map((id, n) => dispatcher.dispatch(inbound(bus, addRequest(bus, id), n))));
      expect(commands.slice(0, 2)).toEqual(['BatchExecuteStatementCommand', 'PutItemCommand']);
      expect(outcomes).toEqual([{ kind: 'done' }, { kind: 'done' }]);
      expect(calls.add).toBe(2);
    });
  });

  it('rejects bad parameters at the caller, before sending, naming API, procedure and parameter', async () => {
    const { bus } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const caller = mathCaller(bus.settings.busName);
    const queueName = bus.topology().rpcQueues[0]!.queueName;

    const wrongType = await caller.call('math.add', { a: 'one', b: 2 }).catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(ValidationError);
    expect((wrongType as ValidationError).message).toMatch(/math\.add/);
    expect((wrongType as ValidationError).issues).toEqual([{ path: '$.a', expected: expect.stringMatching(/expected number/) }]);

    const missing = await caller.call('math.add', { a: 1 }).catch((e: unknown) => e);
    expect((missing as ValidationError).issues[0]?.path).toBe('$.b');

    const extra = await caller.call('math.add', { a: 1, b: 2, c: 3 }).catch((e: unknown) => e);
    expect((extra as ValidationError).issues).toEqual([{ path: '$.c', expected: 'no such parameter (unexpected key)' }]);

    const unknown = await caller.call('math.divide', { a: 1 }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownMemberError);
    expect((unknown as Error).message).toMatch(/API "math" has no procedure "divide"; its procedures are: add, fail, slow/);

    expect(await queueDepth(caller, queueName)).toBe(0);
  });

  it('answers a malformed call that still has an id with an error result, and dead-letters one without', async () => {
    const { bus, calls } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const model = bus.topology().rpcQueues[0]!;
    const url = await bus.transports.queues.locator.url(model.queueName);
    const callId = `bad-${Date.now()}`;
    const table = bus.transports.location.resultsTable;
    await bus.transports.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ v: 1, kind: 'lightbus.rpc', id: callId, returnPath: { table } }) }),
    );
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'not json at all' }));
    const worker = await startWorker(bus);
    const outcomes: DispatchOutcome[] = [];
    worker.on('message_processed', (_m, outcome) => outcomes.push(outcome));
    await eventually(() => outcomes.length === 2, 10_000, 'both malformed messages');
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['deadLettered', 'done']);
    const stored = await bus.transports.results.readMany(table, [callId]);
    expect(stored.get(callId)).toMatchObject({ state: 'error', error: { name: 'MalformedMessageError' } });
    expect(calls.add).toBe(0);
    expect(await queueDepth(bus, model.deadLetterQueueName)).toBe(1);
    // The worker still serves.
    await expect(mathCaller(bus.settings.busName).math.add({ a: 2, b: 2 })).resolves.toBe(4);
  });

  it("dead-letters a call that asks for its result in another bus's table, without running it", async () => {
    const { bus, calls } = mathService();
    await provisionTopology(bus.topology(), bus.transports.clients, bus.logger);
    const model = bus.topology().rpcQueues[0]!;
    const url = await bus.transports.queues.locator.url(model.queueName);
    const body = JSON.stringify({
      v: 1,
      kind: 'lightbus.rpc',
      id: `foreign-${Date.now()}`,
      api: 'math',
      procedure: 'add',
      parameters: { a: 1, b: 1 },
      deadline: Date.now() + 30_000,
      returnPath: { table: 'someone-elses-table' },
    });
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(bus);
    worker.on('message_processed', (_m, outcome) => outcomes.push(outcome));
    await eventually(() => outcomes.length === 1, 10_000, 'the call to be handled');
    expect(outcomes[0]).toMatchObject({ kind: 'deadLettered', reason: 'invalid' });
    expect((outcomes[0] as { error: Error }).error.message).toMatch(/asks for its result in table "someone-elses-table"/);
    expect(calls.add).toBe(0);
  });
});
