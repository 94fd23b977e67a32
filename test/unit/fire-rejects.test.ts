/**
 * fire() is not an async function (it makes fewer promises in a burst), yet every failure before
 * sending still arrives as a rejection, never as a synchronous throw: callers that chain `.catch`
 * or collect fires in Promise.all keep working.
 */
import { lightbus, LightbusError, silentLogger, ValidationError, type BusClient } from '../../runtime';
import { mathApi } from '../support/apis';
import { stubTransports } from '../support/stub-transports';

function newBus(): BusClient {
  const bus = lightbus.create({ busName: 'fire-rejects-unit', serviceName: 'math', apis: [mathApi], logger: silentLogger }) as unknown as BusClient;
  bus.registerApi(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
  return bus;
}

describe('fire() failures before sending', () => {
  it.each(['confirmed', 'buffered'] as const)('rejects invalid parameters (%s delivery), naming the event and the parameter', async (delivery) => {
    const bus = newBus();
    const stub = stubTransports(bus);
    let fired: Promise<unknown> | undefined;
    expect(() => {
      fired = bus.fireEvent('math', 'happened', { n: 'seven' }, { delivery });
    }).not.toThrow();
    const error = await fired!.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/math\.happened/);
    expect((error as Error).message).toMatch(/\bn\b/);
    expect(stub.published).toHaveLength(0);
  });

  it('rejects a bad delivery option and an unknown event without throwing', async () => {
    const bus = newBus();
    stubTransports(bus);
    const badDelivery = bus.fireEvent('math', 'happened', { n: 1 }, { delivery: 'eventually' as never });
    await expect(badDelivery).rejects.toThrow(/math\.happened\.fire\(\): delivery must be one of confirmed, buffered; got "eventually"/);
    const unknown = bus.fireEvent('math', 'vanished', {});
    await expect(unknown).rejects.toBeInstanceOf(LightbusError);
  });

  it('rejects once the client is closed', async () => {
    const bus = newBus();
    stubTransports(bus);
    await bus.close();
    let fired: Promise<unknown> | undefined;
    expect(() => {
      fired = bus.fireEvent('math', 'happened', { n: 1 });
    }).not.toThrow();
    await expect(fired).rejects.toThrow(/closed/);
  });

  it('resolves with the sent event, its parameters as validated', async () => {
    const bus = newBus();
    const stub = stubTransports(bus);
    const sent = await bus.fireEvent('math', 'happened', { n: 3, label: 'x' });
    expect(sent).toMatchObject({ api: 'math', event: 'happened', delivery: 'confirmed', parameters: { n: 3, label: 'x' } });
    expect(sent.eventBridgeId).toBeTruthy();
    expect(JSON.parse(stub.published[0]?.Detail ?? '{}')).toMatchObject({ id: sent.id, firedAt: sent.firedAt, parameters: { n: 3, label: 'x' } });
  });
});
