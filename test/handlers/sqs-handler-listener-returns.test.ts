/**
 * What a listener returns, as the Lambda handler sees it: nothing (it has finished), a promise, a
 * thenable of its own (awaited like a promise), or a throw. A batch whose listeners all returned
 * no promise gets its outcomes without a promise per record (RecordLifecycle.dispatchEach hands
 * back the array itself); one promise anywhere makes it wait for all. Failures are retried as
 * always, whichever way they came. Records are built here; the retries' visibility changes go to
 * the emulator's provisioned queue.
 */
import type { SQSEvent } from 'aws-lambda';
import { createSqsHandler, toInboundMessage } from '../../handlers';
import { provisionTopology } from '../../local/provision';
import { lightbus, silentLogger, z, type BusClient } from '../../runtime';
import { Dispatcher, RecordLifecycle, type DispatchOutcome } from '../../runtime/dispatch';
import { uniqueName } from '../support/aws';
import { eventRecord } from '../support/event-records';

const MODES = ['nothing', 'value', 'promise', 'thenable', 'thenableRejects', 'throws', 'promiseRejects'] as const;
type Mode = (typeof MODES)[number];

const shopApi = lightbus.api('shop', { events: { sold: lightbus.event({ parameters: { mode: z.enum(MODES), n: z.number().int() } }) } });

/** A thenable that is not a Promise: settles on a later timer turn. */
function laterThenable(fail: boolean, settled: number[], n: number): PromiseLike<void> {
  return {
    then(onFulfilled, onRejected) {
      return new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          settled.push(n);
          if (fail) reject(new Error(`thenable ${n} rejected`));
          else resolve();
        }, 5),
      ).then(onFulfilled, onRejected);
    },
  };
}

describe('what a listener returns', () => {
  let bus: ReturnType<typeof createBus>;
  let queueName: string;
  const settled: number[] = [];

  function createBus() {
    return lightbus.create({ busName: uniqueName('lr'), serviceName: 'shop', apis: [shopApi], logger: silentLogger });
  }

  beforeAll(async () => {
    bus = createBus();
    bus.shop.sold.listen(
      (_event, { mode, n }): unknown => {
        switch (mode as Mode) {
          case 'nothing':
            return undefined;
          case 'value':
            return { ignored: true };
          case 'promise':
            return new Promise<void>((resolve) => setTimeout(() => resolve(), 5)).then(() => void settled.push(n));
          case 'thenable':
            return laterThenable(false, settled, n);
          case 'thenableRejects':
            return laterThenable(true, settled, n);
          case 'throws':
            throw new Error(`listener ${n} threw`);
          case 'promiseRejects':
            return Promise.reject(new Error(`listener ${n} rejected`));
        }
      },
      { listenerName: 'audit', maxReceives: 5, retryDelaySeconds: 1 },
    );
    await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
    queueName = bus.topology().listeners[0]!.queueName;
  });

  afterAll(async () => {
    await (bus as BusClient).close();
  });

  const eventOf = (modes: readonly Mode[], first = 0): SQSEvent => ({
    Records: modes.map((mode, i) => eventRecord(queueName, { api: 'shop', event: 'sold', parameters: { mode, n: first + i }, n: first + i })),
  });

  it('reports exactly the records whose listener threw or rejected, whichever way', async () => {
    settled.length = 0;
    const event = eventOf(MODES, 100);
    const response = await createSqsHandler(bus)(event);
    const failed = ['thenableRejects', 'throws', 'promiseRejects'].map((mode) => `m-${100 + MODES.indexOf(mode as Mode)}`);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(failed.sort());
    // The handler answered only once the promise and both thenables had settled.
    expect(settled.sort()).toEqual([102, 103, 104]);
  });

  it('hands a batch of listeners that returned no promise its outcomes without a promise', () => {
    const lifecycle = new RecordLifecycle(new Dispatcher(bus), silentLogger);
    const messages = eventOf(['nothing', 'value', 'nothing'], 200).Records.map(toInboundMessage);
    const outcomes = lifecycle.dispatchEach(messages);
    expect(outcomes).not.toBeInstanceOf(Promise);
    expect(outcomes as DispatchOutcome[]).toEqual([{ kind: 'done' }, { kind: 'done' }, { kind: 'done' }]);
  });

  it('waits for all when one listener of the batch returned a promise', async () => {
    settled.length = 0;
    const lifecycle = new RecordLifecycle(new Dispatcher(bus), silentLogger);
    const messages = eventOf(['nothing', 'promise', 'thenable'], 300).Records.map(toInboundMessage);
    const outcomes = lifecycle.dispatchEach(messages);
    expect(outcomes).toBeInstanceOf(Promise);
    await expect(outcomes).resolves.toEqual([{ kind: 'done' }, { kind: 'done' }, { kind: 'done' }]);
    expect(settled.sort()).toEqual([301, 302]);
  });

  it('the same with trace context off', async () => {
    const untraced = lightbus.create({ busName: bus.settings.busName, serviceName: 'shop', apis: [shopApi], logger: silentLogger, traceContext: false });
    untraced.shop.sold.listen(() => undefined, { listenerName: 'audit' });
    try {
      const lifecycle = new RecordLifecycle(new Dispatcher(untraced), silentLogger);
      const outcomes = lifecycle.dispatchEach(eventOf(['nothing', 'value'], 400).Records.map(toInboundMessage));
      expect(outcomes).toEqual([{ kind: 'done' }, { kind: 'done' }]);
    } finally {
      await untraced.close();
    }
  });
});
