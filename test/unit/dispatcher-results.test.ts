/**
 * The dispatcher claims calls and writes their results through the results store it is given
 * (`DispatcherOptions.results`), not through the bus's own.
 */
import { lightbus, silentLogger } from '../../runtime';
import { Dispatcher, type CallResultPayload, type CallResults } from '../../runtime/dispatch';
import { mathApi } from '../support/apis';
import { stubTransports } from '../support/stub-transports';

it('claims the call and writes its result through the injected results store', async () => {
  const bus = lightbus.create({ busName: 'dispatch-results', apis: [mathApi], logger: silentLogger });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => '' });
  const stub = stubTransports(bus, () => ({ state: 'ok', resultJson: '3' }));
  await bus.math.add({ a: 1, b: 2 });
  const request = stub.sent[0]!;

  const claimed: string[] = [];
  const completed: { callId: string; outcome: CallResultPayload }[] = [];
  const results: CallResults = {
    claim: async ({ callId }) => (claimed.push(callId), true),
    complete: async (_table, callId, outcome) => void completed.push({ callId, outcome }),
  };
  const outcome = await new Dispatcher(bus, { results }).dispatch({ messageId: 'm', body: request.body, receiptHandle: 'r', receiveCount: 1, queueName: request.queueName });

  const callId = (JSON.parse(request.body) as { id: string }).id;
  expect(outcome).toEqual({ kind: 'done' });
  expect(claimed).toEqual([callId]);
  expect(completed).toEqual([{ callId, outcome: { ok: true, resultJson: '3' } }]);
  expect(stub.completed).toEqual([]); // the bus's own store was not used
});
