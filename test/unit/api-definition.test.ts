import { InvalidDefinitionError, lightbus, ConfigurationError, UnknownApiError, z } from '../../runtime';

const ping = lightbus.rpc({ parameters: { at: z.number() }, response: z.string() });

describe('lightbus.api(): definitions fail early with a clear message', () => {
  it.each([
    ['', /non-empty string/],
    ['_private', /starts with "_"/],
    ['auth._hidden', /segment "_hidden" starts with "_"/],
    ['default', /reserved/],
    ['with-dash', /must match/],
    ['trailing.', /must match/],
    ['register', /"register" is reserved/],
  ])('rejects the API name %j', (name, message) => {
    expect(() => lightbus.api(name, {})).toThrow(InvalidDefinitionError);
    expect(() => lightbus.api(name, {})).toThrow(message);
  });

  it('accepts dotted names', () => {
    expect(lightbus.api('support.case', { rpcs: { ping } }).name).toBe('support.case');
  });

  it('rejects private and malformed member names, naming the API', () => {
    expect(() => lightbus.api('auth', { rpcs: { _secret: ping } })).toThrow('Invalid procedure name "auth._secret"');
    expect(() => lightbus.api('auth', { events: { 'user-created': lightbus.event({}) } })).toThrow('Invalid event name "auth.user-created"');
  });

  it('rejects a member declared both as a procedure and as an event', () => {
    expect(() => lightbus.api('auth', { rpcs: { login: ping }, events: { login: lightbus.event({}) } })).toThrow(
      'API "auth" declares "login" twice',
    );
  });

  it('rejects members not made with rpc() or event()', () => {
    expect(() => lightbus.api('auth', { rpcs: { login: { parameters: {} } as never } })).toThrow('rpcs.login must be declared with rpc({...})');
  });

  it('rejects parameters that are not zod schemas', () => {
    expect(() => lightbus.rpc({ parameters: { name: 'string' } as never })).toThrow('parameter "name" must be a zod schema');
    expect(() => lightbus.event({ parameters: z.string() as never })).toThrow('got a zod string');
  });

  it('makes parameters strict so a misspelt parameter fails', () => {
    const loose = lightbus.rpc({ parameters: z.object({ a: z.number() }) });
    expect(loose.parameters.safeParse({ a: 1, typo: 2 }).success).toBe(false);
    const declaredLoose = lightbus.rpc({ parameters: z.looseObject({ a: z.number() }) });
    expect(declaredLoose.parameters.safeParse({ a: 1, extra: 2 }).success).toBe(true);
  });
});

describe('bus.register() and bus.listen(): checked against the definitions', () => {
  const authApi = lightbus.api('auth', { rpcs: { ping }, events: { pinged: lightbus.event({ parameters: { at: z.number() } }) } });

  it('requires every declared procedure and nothing else', () => {
    const bus = lightbus.create({ serviceName: 's', apis: [authApi] });
    expect(() => bus.register(authApi, {} as never)).toThrow('missing or not a function: ping');
    expect(() => bus.register(authApi, { ping: () => 'x', pong: () => 'y' } as never)).toThrow('not declared in the API: pong');
  });

  it('refuses to register the same API twice, or two definitions with one name', () => {
    const bus = lightbus.create({ serviceName: 's', apis: [authApi] });
    bus.register(authApi, { ping: () => 'x' });
    expect(() => bus.register(authApi, { ping: () => 'x' })).toThrow('already registered');
    const impostor = lightbus.api('auth', {});
    expect(() => bus.register(impostor, {})).toThrow('Two different definitions of the API "auth"');
  });

  it('exposes APIs at their dotted path and rejects clashes', () => {
    const caseApi = lightbus.api('support.case', { rpcs: { ping } });
    const bus = lightbus.create({ apis: [authApi, caseApi] });
    expect(typeof bus.support.case.ping).toBe('function');
    expect(typeof bus.auth.pinged.fire).toBe('function');
    const clashing = lightbus.api('support', { rpcs: { case: ping } });
    expect(() => lightbus.create({ apis: [caseApi, clashing] })).toThrow(InvalidDefinitionError);
  });

  it('requires a unique listener name and a service name', () => {
    const bus = lightbus.create({ serviceName: 's', apis: [authApi] });
    bus.auth.pinged.listen(() => undefined, { listenerName: 'one' });
    expect(() => bus.auth.pinged.listen(() => undefined, { listenerName: 'one' })).toThrow('already exists');
    expect(() => bus.auth.pinged.listen(() => undefined, {} as never)).toThrow('options.listenerName is required');
    expect(() => bus.auth.pinged.listen(() => undefined, { listenerName: 'bad name' })).toThrow(ConfigurationError);
    // A "-" would let ("billing-eu", "sync") and ("billing", "eu-sync") share one queue.
    expect(() => bus.auth.pinged.listen(() => undefined, { listenerName: 'eu-sync' })).toThrow(/Invalid listener name "eu-sync".*no "-"/);
    const anonymous = lightbus.create({ apis: [authApi] });
    const saved = process.env.LIGHTBUS_SERVICE_NAME;
    delete process.env.LIGHTBUS_SERVICE_NAME;
    try {
      expect(() => lightbus.create({ apis: [authApi] }).auth.pinged.listen(() => undefined, { listenerName: 'x' })).toThrow(
        'this bus has no service name',
      );
    } finally {
      if (saved !== undefined) process.env.LIGHTBUS_SERVICE_NAME = saved;
    }
    void anonymous;
  });

  it('rejects listening to unknown APIs and events with the known ones listed', () => {
    const bus = lightbus.create({ serviceName: 's', apis: [authApi] });
    expect(() => bus.listen('billing.paid', () => undefined, { listenerName: 'x' })).toThrow(UnknownApiError);
    expect(() => bus.listen('auth.pong', () => undefined, { listenerName: 'y' })).toThrow('API "auth" has no event "pong"; its events are: pinged');
  });

  it('validates listener options with the allowed range', () => {
    const bus = lightbus.create({ serviceName: 's', apis: [authApi] });
    expect(() => bus.auth.pinged.listen(() => undefined, { listenerName: 'a', maxReceives: 0 })).toThrow('maxReceives must be an integer from 1 to 999; got 0');
    expect(() => bus.auth.pinged.listen(() => undefined, { listenerName: 'b', visibilityTimeoutSeconds: 50_000 })).toThrow('from 1 to 43200');
  });
});
