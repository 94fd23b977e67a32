/**
 * The bus's `traceContext` setting: on (the default) a listener's work continues the received
 * traceparent (log lines and `currentTraceId()` carry its trace id); off, the received one is
 * ignored and the work runs without trace context. Also where the setting comes from.
 */
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { resolveBusSettings, TRACE_CONTEXT_ENV } from '../../runtime/config';
import { currentTraceId } from '../../runtime/tracing';
import { eventRecord } from '../support/event-records';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const api = lightbus.api('shop', { events: { sold: lightbus.event({ parameters: { n: z.number() } }) } });

function busWith(traceContext: boolean | undefined) {
  const bus = lightbus.create({ busName: 'trctx', serviceName: 'shop', apis: [api], logger: silentLogger, ...(traceContext === undefined ? {} : { traceContext }) });
  const seen: (string | undefined)[] = [];
  bus.shop.sold.listen(
    async () => {
      await Promise.resolve();
      seen.push(currentTraceId());
    },
    { listenerName: 'audit' },
  );
  return { bus, seen };
}

async function traceIdsSeen(traceContext: boolean | undefined): Promise<(string | undefined)[]> {
  const { bus, seen } = busWith(traceContext);
  const queueName = bus.topology().listeners.find((l) => l.listenerName === 'audit')?.queueName as string;
  const record = eventRecord(queueName, { api: 'shop', event: 'sold', parameters: { n: 1 }, n: 1, traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
  const response = await createSqsHandler(bus)({ Records: [record] });
  expect(response.batchItemFailures).toEqual([]);
  return seen;
}

describe('traceContext setting', () => {
  it('on by default: the listener continues the received trace', async () => {
    expect(await traceIdsSeen(undefined)).toEqual([TRACE_ID]);
  });

  it('off: the received traceparent is ignored and the work has no trace', async () => {
    expect(await traceIdsSeen(false)).toEqual([undefined]);
  });

  it('comes from create(), then the file, then LIGHTBUS_TRACE_CONTEXT, else true', () => {
    expect(resolveBusSettings({}, {}).traceContext).toBe(true);
    expect(resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'off' }).traceContext).toBe(false);
    expect(resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'TRUE' }).traceContext).toBe(true);
    expect(resolveBusSettings({ traceContext: true }, { [TRACE_CONTEXT_ENV]: 'false' }).traceContext).toBe(true);
  });

  it('refuses a value that is not a switch, naming the variable and what is allowed', () => {
    expect(() => resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'maybe' })).toThrow(
      'LIGHTBUS_TRACE_CONTEXT: "maybe" is not a switch; expected true, false, on, off, 1 or 0.',
    );
    expect(() => resolveBusSettings({ traceContext: 'no' as unknown as boolean }, {})).toThrow('create(): traceContext must be true or false; got "no".');
  });
});
