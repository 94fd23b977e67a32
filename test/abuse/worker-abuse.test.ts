/**
 * Issue #16 item 1, against the emulator: a caller cannot jam a worker by making its answer
 * unwritable. Oversized errors are cut before they are written, a request that cannot be read is
 * refused at parse, and a result that cannot be written is dead-lettered within one visibility
 * timeout even when the caller's deadline is 1e300. Real local worker, real SQS and DynamoDB.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { lightbus, z } from '../../runtime';
import { ErrorBounds } from '../../runtime/dispatch';
import { DeadLetterAttributes } from '../../runtime/messages';
import { eventually, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

const listsApi = lightbus.api('lists', {
  rpcs: {
    sum: lightbus.rpc({ parameters: { nums: z.array(z.number()) }, response: z.number() }),
    dropTable: lightbus.rpc({ parameters: {}, response: z.string() }),
  },
});

/** A worker for the lists API whose RPC queue has `visibilitySeconds` (the write-retry bound). */
async function listsWorker(visibilitySeconds = 30) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'lists', apis: [listsApi] })));
  const real = bus.topology.bind(bus);
  jest.spyOn(bus, 'topology').mockImplementation(() => {
    const topology = real();
    return { ...topology, rpcQueues: topology.rpcQueues.map((q) => ({ ...q, visibilityTimeoutSeconds: visibilitySeconds })) };
  });
  const table = bus.transports.location.resultsTable;
  bus.register(listsApi, {
    sum: ({ nums }) => nums.reduce((a, b) => a + b, 0),
    // Makes this call's result unwritable for real: its bus's own results table is gone.
    dropTable: async () => {
      await bus.transports.clients.dynamoDb.send(new DeleteTableCommand({ TableName: table }));
      return 'dropped';
    },
  });
  await startWorker(bus);
  const model = bus.topology().rpcQueues[0]!;
  const queueUrl = await bus.transports.queues.locator.url(model.queueName);
  const dlqUrl = await bus.transports.queues.locator.url(model.deadLetterQueueName);
  const caller = track(lightbus.create(testBusOptions({ busName: bus.settings.busName, apis: [listsApi] })));
  const sendRaw = (body: Record<string, unknown>) =>
    bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
  const request = (id: string, fields: Record<string, unknown>) => ({
    v: 1,
    kind: 'lightbus.rpc',
    id,
    api: 'lists',
    procedure: 'sum',
    parameters: { nums: [1] },
    deadline: Date.now() + 60_000,
    returnPath: { table },
    ...fields,
  });
  const dead: Message[] = [];
  const deadLetters = async (): Promise<Message[]> => {
    const out = await bus.transports.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    dead.push(...(out.Messages ?? []));
    return dead;
  };
  const stored = async (id: string) => (await bus.transports.results.readMany(table, [id])).get(id);
  return { bus, caller, table, sendRaw, request, deadLetters, stored };
}

it('answers a 180 KB request of 60,000 empty strings with a small error, and keeps serving the queue', async () => {
  const { caller, sendRaw, request, stored, deadLetters } = await listsWorker();
  const nums = Array.from({ length: 60_000 }, () => '');
  const body = request('abuse-60k', { parameters: { nums } });
  expect(JSON.stringify(body).length).toBeGreaterThan(180_000);
  await sendRaw(body);
  // A normal call sent after it on the same queue is answered.
  await expect(caller.lists.sum({ nums: [1, 2, 3] })).resolves.toBe(6);
  await eventually(async () => (await stored('abuse-60k'))?.state === 'error', 30_000, 'the error result of the 60k request');
  const answer = await stored('abuse-60k');
  if (answer?.state !== 'error') throw new Error('expected an error result');
  expect(answer.error.name).toBe('ValidationError');
  expect(answer.error.message).toContain(`…and ${60_000 - ErrorBounds.maxListedIssues} more`);
  expect(Buffer.byteLength(JSON.stringify(answer.error))).toBeLessThanOrEqual(ErrorBounds.maxBytes);
  expect(await deadLetters()).toHaveLength(0);
});

it('refuses a 140 KB procedure name at parse: answered with a small error when it has an address, dead-lettered when not', async () => {
  const { caller, sendRaw, request, stored, deadLetters } = await listsWorker();
  const procedure = `p${'x'.repeat(140_000)}`;
  await sendRaw(request('abuse-long-name', { procedure }));
  const { id: _noId, ...withoutId } = request('unused', { procedure });
  await sendRaw(withoutId);

  await eventually(async () => (await stored('abuse-long-name'))?.state === 'error', 30_000, 'the error answer');
  const answer = await stored('abuse-long-name');
  if (answer?.state !== 'error') throw new Error('expected an error result');
  expect(answer.error.code).toBe('MALFORMED_MESSAGE');
  expect(answer.error.message).not.toContain('x'.repeat(200));
  expect(Buffer.byteLength(JSON.stringify(answer.error))).toBeLessThanOrEqual(ErrorBounds.maxBytes);

  await eventually(async () => (await deadLetters()).length >= 1, 30_000, 'the unanswerable request in the DLQ');
  const [message] = await deadLetters();
  expect(message?.MessageAttributes?.[DeadLetterAttributes.Reason]?.StringValue).toBe('malformed');
  expect((message?.MessageAttributes?.[DeadLetterAttributes.ErrorMessage]?.StringValue ?? '').length).toBeLessThanOrEqual(4096);
  // The worker is free: a normal call is answered.
  await expect(caller.lists.sum({ nums: [4] })).resolves.toBe(4);
});

it('dead-letters a call whose result cannot be written within one visibility timeout, though its deadline is 1e300', async () => {
  const { bus, table, sendRaw, request, deadLetters } = await listsWorker(3);
  // The table about to be deleted must be this test bus's own.
  expect(table).toContain(bus.settings.busName);
  await sendRaw(request('abuse-forever', { procedure: 'dropTable', parameters: {}, deadline: 1e300 }));
  await eventually(async () => (await deadLetters()).length >= 1, 45_000, 'the unwritable call in the DLQ');
  const [message] = await deadLetters();
  expect(JSON.parse(message?.Body ?? '{}')).toMatchObject({ id: 'abuse-forever' });
  expect(message?.MessageAttributes?.[DeadLetterAttributes.Reason]?.StringValue).toBe('result-not-written');
}, 60_000);
