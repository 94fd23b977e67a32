/**
 * lightbus.metrics.emf(): CloudWatch Embedded Metric Format lines from the bus's hooks, with
 * stubbed transports. Each line must be one JSON document CloudWatch can extract metrics from.
 */
import { EMF_METRICS, lightbus, silentLogger } from '../../runtime';
import { mathApi } from '../support/apis';
import { dispatchBody, eventDeliveryBody, stubTransports } from '../support/stub-transports';
import { expectValidEmf, type EmfLine } from '../support/emf';

function setUp(options: { namespace?: string; serviceName?: string } = {}) {
  const bus = lightbus.create({
    busName: 'emf-unit',
    apis: [mathApi],
    logger: silentLogger,
    ...(options.serviceName !== undefined ? { serviceName: options.serviceName } : {}),
  });
  const lines: EmfLine[] = [];
  const stop = lightbus.metrics.emf(bus, { write: (line) => lines.push(JSON.parse(line) as EmfLine), ...(options.namespace ? { namespace: options.namespace } : {}) });
  return { bus, lines, stop };
}

describe('lightbus.metrics.emf()', () => {
  it('writes one EMF line per RPC call, with [Service, Api, Member] and the call duration; errors count 1', async () => {
    const { bus, lines } = setUp();
    stubTransports(bus, ({ parameters }) =>
      parameters.a === 0 ? { state: 'error', error: { name: 'Error', message: 'no zeros' } as never } : { state: 'ok', resultJson: '3' },
    );
    await bus.math.add({ a: 1, b: 2 });
    await bus.math.add({ a: 0, b: 2 }).catch(() => undefined);
    expect(lines).toHaveLength(2);
    expect(lines[0]!._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'Lightbus',
      Dimensions: [['Service', 'Api', 'Member']],
      Metrics: [
        { Name: 'RpcCallDuration', Unit: 'Milliseconds' },
        { Name: 'RpcCallErrors', Unit: 'Count' },
      ],
    });
    expect(lines[0]).toMatchObject({ Service: 'unknown', Api: 'math', Member: 'add', Operation: 'rpcCall', Outcome: 'ok', RpcCallErrors: 0 });
    expect(lines[1]).toMatchObject({ Outcome: 'error', ErrorName: 'RemoteError', RpcCallErrors: 1 });
    for (const line of lines) expect(expectValidEmf(line).RpcCallDuration!.unit).toBe('Milliseconds');
  });

  it('counts events sent and times executions on the worker side; the namespace and service are configurable', async () => {
    const { bus, lines } = setUp({ namespace: 'Acme/Bus', serviceName: 'math' });
    bus.register(mathApi, {
      add: ({ a, b }) => a + b,
      fail: ({ message }) => {
        throw new Error(message);
      },
      slow: () => 'done',
    });
    bus.math.happened.listen(() => {}, { listenerName: 'counter' });
    const stub = stubTransports(bus);
    await bus.math.happened.fire({ n: 1 });
    await dispatchBody(bus, bus.topology().listeners[0]!.queueName, eventDeliveryBody(stub.published[0]!));
    const byOperation = Object.fromEntries(lines.map((l) => [l.Operation as string, l]));
    expect(Object.keys(byOperation)).toEqual(['eventSent', 'eventExecution']);
    expect(expectValidEmf(byOperation.eventSent!)).toEqual({ EventsSent: { unit: 'Count', value: 1 }, EventSendErrors: { unit: 'Count', value: 0 } });
    expect(expectValidEmf(byOperation.eventExecution!)).toMatchObject({
      EventExecutionDuration: { unit: 'Milliseconds', value: expect.any(Number) },
      EventExecutionErrors: { unit: 'Count', value: 0 },
    });
    expect(byOperation.eventExecution).toMatchObject({ Service: 'math', Api: 'math', Member: 'happened', Listener: 'counter' });
    for (const line of lines) expect(line._aws.CloudWatchMetrics[0]!.Namespace).toBe('Acme/Bus');
  });

  it('declares only units CloudWatch knows, and stops when asked', async () => {
    for (const unit of Object.values(EMF_METRICS)) expect(['Milliseconds', 'Count']).toContain(unit);
    const { bus, lines, stop } = setUp();
    stubTransports(bus, () => ({ state: 'ok', resultJson: '3' }));
    stop();
    expect(bus.hooks.observes('RpcCall')).toBe(false);
    await bus.math.add({ a: 1, b: 2 });
    expect(lines).toHaveLength(0);
  });
});
