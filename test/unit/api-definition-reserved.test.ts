import { InvalidDefinitionError, lightbus, z, type AnyApiDefinition, type BusClient } from '../../runtime';

/**
 * An API lives at `bus.<name>`, so its first segment must not be a member of the bus client: an
 * API named `registry` used to be attached onto the client's own registry object. The members are
 * read from a real client, so a member added to BusClient is covered without editing this test.
 */
const ping = lightbus.rpc({ parameters: {}, response: z.string() });

/** Every own member of a client made by create(), and every member of its prototype chain. */
function memberNamesOf(client: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = client; level !== null; level = Object.getPrototypeOf(level) as object | null) {
    for (const name of Object.getOwnPropertyNames(level)) names.add(name);
  }
  return [...names].sort();
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const members = memberNamesOf(lightbus.create({ serviceName: 'svc' }));
const identifiers = members.filter((name) => IDENTIFIER.test(name));
const others = members.filter((name) => !IDENTIFIER.test(name));

/** A definition as lightbus.api() makes it, without its definition-time name check: create() must refuse it on its own. */
function definitionNamed(name: string): AnyApiDefinition {
  return Object.freeze({ kind: 'api' as const, name, rpcs: Object.freeze({ ping }), events: Object.freeze({}) });
}

describe('API names that would take a member of the bus client', () => {
  it('covers the client members that used to be taken silently, or refused', () => {
    // The guard of this suite: if these were missing, the loops below would test too little.
    expect(members).toEqual(expect.arrayContaining(['schemas', 'settings', 'registry', 'transports', 'logger', 'flush', 'hooks', 'register']));
    expect(members).toEqual(expect.arrayContaining(['toString', 'constructor']));
  });

  it.each(identifiers)('create({ apis }) refuses an API named %j, naming it and what is reserved', (name) => {
    expect(() => lightbus.create({ serviceName: 'svc', apis: [definitionNamed(name)] })).toThrow(InvalidDefinitionError);
    expect(() => lightbus.create({ serviceName: 'svc', apis: [definitionNamed(name)] })).toThrow(
      new RegExp(`"${name}".*reserved|reserved.*"${name}"`),
    );
    expect(() => lightbus.create({ serviceName: 'svc', apis: [definitionNamed(`${name}.sub`)] })).toThrow(`"${name}.sub"`);
  });

  it.each(identifiers)('register() refuses an API named %j and leaves the client as it was', (name) => {
    const bus = lightbus.create({ serviceName: 'svc' });
    const before = (bus as unknown as Record<string, unknown>)[name];
    expect(() => bus.register(definitionNamed(name), { ping: () => 'pong' })).toThrow(InvalidDefinitionError);
    expect(() => bus.register(definitionNamed(name), { ping: () => 'pong' })).toThrow(/reserved/);
    expect((bus as unknown as Record<string, unknown>)[name]).toBe(before);
    expect(bus.registry.isRegistered(name)).toBe(false);
  });

  it.each(others)('refuses an API named %j (not a valid API name at all)', (name) => {
    expect(() => lightbus.create({ serviceName: 'svc', apis: [definitionNamed(name)] })).toThrow(InvalidDefinitionError);
  });

  it('no longer attaches an API to the client object of the same name (bus.registry.ping)', () => {
    for (const name of ['schemas', 'settings', 'registry', 'transports', 'logger']) {
      const bus = lightbus.create({ serviceName: 'svc' });
      expect(() => bus.register(definitionNamed(name), { ping: () => 'pong' })).toThrow(
        `The API name "${name}" cannot be used on the bus client: its first segment "${name}" is reserved, because bus.${name} is a member of the bus client.`,
      );
      expect(((bus as unknown as Record<string, Record<string, unknown>>)[name] as Record<string, unknown>).ping).toBeUndefined();
    }
  });

  it('still lets unreserved APIs share a root', () => {
    const caseApi = lightbus.api('support.case', { rpcs: { ping } });
    const ticketApi = lightbus.api('support.ticket', { rpcs: { ping } });
    const bus: BusClient & Record<string, unknown> = lightbus.create({ apis: [caseApi, ticketApi] }) as never;
    expect(Object.keys(bus.support as object)).toEqual(['case', 'ticket']);
  });
});
