import { lightbus, ValidationError } from '../../runtime';
import { mockBus } from '../../runtime/testing';
import { authApi } from '../../examples/auth/api';
import { customersApi } from '../../examples/customers/api';

// The example keeps its users in a DynamoDB table of its own; these tests use no AWS endpoint at
// all, so the table is replaced by an in-memory one with the same surface.
jest.mock('../../examples/auth/users', () => {
  class UserTable {
    private readonly users = new Map<string, string>();
    public async create(username: string, password: string): Promise<boolean> {
      if (this.users.has(username)) return false;
      this.users.set(username, password);
      return true;
    }
    public async check(username: string, password: string): Promise<boolean> {
      return this.users.get(username) === password;
    }
    public async count(): Promise<number> {
      return this.users.size;
    }
  }
  return { UserTable };
});

/**
 * The testing helpers, used the way a user would: unit-testing the example auth service's
 * listener with no AWS endpoint at all.
 */
describe('mockBus(): unit tests without AWS', () => {
  const saved = process.env.AWS_ENDPOINT_URL;
  beforeAll(() => {
    // Prove nothing here needs the emulator: point the SDK at a port nobody listens on.
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
  });
  afterAll(() => {
    process.env.AWS_ENDPOINT_URL = saved;
  });

  it("runs the auth service's listener in process and records its RPC call", async () => {
    const { bus } = jest.requireActual<typeof import('../../examples/auth/bus')>('../../examples/auth/bus');
    const mock = mockBus(bus).mockRpc('auth.createUser', ({ username }: Record<string, unknown>) => ({ username, created: true }));
    const listeners = await mock.deliver('customers.newCustomer', {
      customerName: 'Ada',
      email: 'ada@example.com',
      initialPassword: 'correct-horse',
    });
    expect(listeners).toBe(1);
    mock.assertRpcCalled('auth.createUser', { times: 1, with: { username: 'ada@example.com', password: 'correct-horse', displayName: 'Ada' } });
    expect(() => mock.assertRpcCalled('auth.checkPassword')).toThrow('Expected RPC auth.checkPassword to be called at least once; it was called never.');
    mock.restore();
  });

  it('serves the real implementation in process, and records fires it makes', async () => {
    const { bus } = jest.requireActual<typeof import('../../examples/auth/bus')>('../../examples/auth/bus');
    const mock = mockBus(bus).mockEventFiring('auth.userCreated');
    await expect(mock.serve('auth.createUser', { username: 'grace', password: 'hopper-1906' })).resolves.toEqual({ username: 'grace', created: true });
    await expect(mock.serve('auth.checkPassword', { username: 'grace', password: 'hopper-1906' })).resolves.toBe(true);
    mock.assertEventFired('auth.userCreated', { times: 1, with: { username: 'grace' } });
    mock.restore();
  });

  it('is strict: an unmocked call or fire fails instead of reaching AWS', async () => {
    const bus = lightbus.create({ serviceName: 'customers', apis: [customersApi, authApi] });
    bus.register(customersApi, {});
    const mock = mockBus(bus);
    await expect(bus.auth.checkPassword({ username: 'a', password: 'b' })).rejects.toThrow(
      "auth.checkPassword was called but not mocked: add mock.mockRpc('auth.checkPassword', result).",
    );
    await expect(bus.customers.newCustomer.fire({ customerName: 'A', email: 'a@example.com', initialPassword: '12345678' })).rejects.toThrow(
      "add mock.mockEventFiring('customers.newCustomer')",
    );
    mock.restore();
  });

  it("reports the delivery a real fire() would: the option, else the bus's fire.delivery", async () => {
    const fire = { customerName: 'A', email: 'a@example.com', initialPassword: '12345678' };
    const buffered = lightbus.create({ serviceName: 'customers', apis: [customersApi], fire: { delivery: 'buffered' } });
    buffered.register(customersApi, {});
    const mock = mockBus(buffered).mockEventFiring();
    await expect(buffered.customers.newCustomer.fire(fire)).resolves.toMatchObject({ delivery: 'buffered', eventBridgeId: undefined });
    await expect(buffered.customers.newCustomer.fire(fire, { delivery: 'confirmed' })).resolves.toMatchObject({ delivery: 'confirmed', eventBridgeId: 'mocked' });
    mock.restore();
    const confirmed = lightbus.create({ serviceName: 'customers', apis: [customersApi] });
    confirmed.register(customersApi, {});
    const other = mockBus(confirmed).mockEventFiring();
    await expect(confirmed.customers.newCustomer.fire(fire)).resolves.toMatchObject({ delivery: 'confirmed', eventBridgeId: 'mocked' });
    await expect(confirmed.customers.newCustomer.fire(fire, { delivery: 'buffered' })).resolves.toMatchObject({ delivery: 'buffered', eventBridgeId: undefined });
    other.restore();
  });

  it('still validates parameters and mocked results against the definitions', async () => {
    const bus = lightbus.create({ apis: [authApi] });
    const mock = mockBus(bus).mockRpc('auth.checkPassword', 'yes');
    await expect(bus.auth.checkPassword({ username: 'a' } as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(bus.auth.checkPassword({ username: 'a', password: 'b' })).rejects.toThrow(/Invalid mocked result for auth\.checkPassword: \$: .*boolean/);
    expect(() => mock.mockRpc('auth.nope', 1)).toThrow('API "auth" has no procedure "nope"');
    mock.restore();
  });

  it('carries dates and bytes through the wire encoding, as the real bus does', async () => {
    const { z } = await import('zod');
    const filesApi = lightbus.api('files', {
      rpcs: {
        stamp: lightbus.rpc({ parameters: { at: z.date() }, response: z.object({ at: z.date(), body: z.instanceof(Buffer) }) }),
      },
      events: { saved: lightbus.event({ parameters: { at: z.date() } }) },
    });
    const bus = lightbus.create({ serviceName: 'files', apis: [filesApi] });
    const seen: Date[] = [];
    bus.files.saved.listen((_e, { at }) => void seen.push(at), { listenerName: 'audit' });
    const mock = mockBus(bus).mockRpc('files.stamp', ({ at }: Record<string, unknown>) => ({ at, body: Buffer.from('hi') }));
    const at = new Date('2026-01-02T03:04:05.000Z');
    const result = await bus.files.stamp({ at });
    expect(result.at).toEqual(at);
    expect(result.body.toString()).toBe('hi');
    await mock.deliver('files.saved', { at });
    expect(seen[0]).toEqual(at);
    mock.restore();
  });
});
