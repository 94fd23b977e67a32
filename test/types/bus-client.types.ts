/**
 * Type-level tests: calls, fires, listeners and register() are typed from the API definitions.
 *
 * `tsc --noEmit -p tsconfig.json` (part of `npm test`) checks this file; every `@ts-expect-error`
 * below must be an error, or the type check fails. Jest never runs it (it matches *.test.ts only),
 * and nothing here runs at all: the checks live inside a function that is never called.
 */
import { expectTypeOf } from 'expect-type';
import { lightbus, z, type ReceivedEvent, type RpcContext, type SentEvent } from '../../runtime';

const authApi = lightbus.api('auth', {
  rpcs: {
    checkPassword: lightbus.rpc({ parameters: { username: z.string(), password: z.string() }, response: z.boolean() }),
    createUser: lightbus.rpc({
      parameters: { username: z.string(), password: z.string(), displayName: z.string().optional() },
      response: z.object({ username: z.string(), created: z.boolean() }),
    }),
    ping: lightbus.rpc({}),
  },
  events: {
    userCreated: lightbus.event({ parameters: { username: z.string(), at: z.date() } }),
  },
});

const supportCaseApi = lightbus.api('support.case', {
  rpcs: {
    open: lightbus.rpc({
      parameters: { title: z.string(), priority: z.enum(['low', 'high']).default('low') },
      response: z.object({ caseId: z.string() }),
    }),
  },
  events: {
    opened: lightbus.event({ parameters: { caseId: z.string(), tags: z.array(z.string()).default([]) } }),
  },
});

const supportChatApi = lightbus.api('support.chat', {
  events: { message: lightbus.event({ parameters: { text: z.string() } }) },
});

export function typeTests(): void {
  const bus = lightbus.create({ serviceName: 'types', apis: [authApi, supportCaseApi, supportChatApi] });

  // ---- RPC calls: parameters and results typed from the definition ----
  expectTypeOf(bus.auth.checkPassword({ username: 'ada', password: 'pw' })).toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(bus.auth.createUser).parameter(0).toEqualTypeOf<{ username: string; password: string; displayName?: string | undefined }>();
  expectTypeOf(bus.auth.createUser({ username: 'ada', password: 'pw' })).resolves.toEqualTypeOf<{ username: string; created: boolean }>();
  // An RPC declared without parameters or response, inline in api(): no parameters, void result.
  expectTypeOf(bus.auth.ping()).toEqualTypeOf<Promise<void>>();
  // @ts-expect-error an RPC without parameters accepts none
  void bus.auth.ping({ anything: 1 });
  void bus.auth.checkPassword({ username: 'ada', password: 'pw' }, { timeoutMs: 1000 });

  // @ts-expect-error a wrong parameter type
  void bus.auth.checkPassword({ username: 42, password: 'pw' });
  // @ts-expect-error a missing required parameter
  void bus.auth.checkPassword({ username: 'ada' });
  // @ts-expect-error no parameters at all, when some are required
  void bus.auth.checkPassword();
  // @ts-expect-error an unknown parameter (a typo)
  void bus.auth.checkPassword({ username: 'ada', pasword: 'pw' });
  // @ts-expect-error a procedure the API does not declare
  void bus.auth.deleteUser({ username: 'ada' });
  // @ts-expect-error an API the bus was not given
  void bus.billing;
  // @ts-expect-error the result is a boolean, not a string
  const wrongResult: Promise<string> = bus.auth.checkPassword({ username: 'ada', password: 'pw' });
  void wrongResult;
  // @ts-expect-error call options are typed too
  void bus.auth.checkPassword({ username: 'ada', password: 'pw' }, { timeout: 5 });

  // ---- Dotted API names nest: support.case → bus.support.case ----
  expectTypeOf(bus.support.case.open({ title: 'Printer on fire' })).resolves.toEqualTypeOf<{ caseId: string }>();
  expectTypeOf(bus.support.case.open).parameter(0).toEqualTypeOf<{ title: string; priority?: 'low' | 'high' | undefined }>();
  // @ts-expect-error an enum value outside the declared ones
  void bus.support.case.open({ title: 'x', priority: 'urgent' });
  expectTypeOf(bus.support.chat.message.fire).parameter(0).toEqualTypeOf<{ text: string }>();
  // @ts-expect-error sibling APIs under one root do not mix members
  void bus.support.chat.open;

  // ---- Events: fire() parameters and the sent message ----
  expectTypeOf(bus.auth.userCreated.fire({ username: 'ada', at: new Date() })).resolves.toEqualTypeOf<
    SentEvent<{ username: string; at: Date }>
  >();
  // @ts-expect-error a missing event parameter
  void bus.auth.userCreated.fire({ username: 'ada' });
  // @ts-expect-error a wrong event parameter type (a string where a Date is declared)
  void bus.auth.userCreated.fire({ username: 'ada', at: '2024-01-01' });

  // ---- Listeners: the handler receives parsed parameters (defaults applied) ----
  bus.support.case.opened.listen(
    (event, parameters) => {
      expectTypeOf(parameters).toEqualTypeOf<{ caseId: string; tags: string[] }>();
      expectTypeOf(event).toEqualTypeOf<ReceivedEvent<{ caseId: string; tags: string[] }>>();
      expectTypeOf(event.parameters.tags).toEqualTypeOf<string[]>();
    },
    { listenerName: 'notify' },
  );
  bus.auth.userCreated.listen(
    (_event, { at }) => {
      expectTypeOf(at).toEqualTypeOf<Date>();
    },
    { listenerName: 'audit' },
  );
  bus.auth.userCreated.listen(
    // @ts-expect-error a handler that expects parameters the event does not have
    (_event: ReceivedEvent<{ email: string }>, _parameters: { email: string }) => undefined,
    { listenerName: 'wrong' },
  );
  // @ts-expect-error listen() requires a listener name
  bus.auth.userCreated.listen(() => undefined, {});

  // ---- register(): every procedure, with the right signature ----
  bus.register(authApi, {
    checkPassword: ({ username, password }, context) => {
      expectTypeOf(username).toEqualTypeOf<string>();
      expectTypeOf(password).toEqualTypeOf<string>();
      expectTypeOf(context).toEqualTypeOf<RpcContext>();
      return username === password;
    },
    createUser: async ({ username, displayName }) => {
      expectTypeOf(displayName).toEqualTypeOf<string | undefined>();
      return { username, created: true };
    },
    ping: () => undefined,
  });
  bus.register(supportCaseApi, {
    open: ({ priority }) => {
      // The default applies before the procedure runs.
      expectTypeOf(priority).toEqualTypeOf<'low' | 'high'>();
      return { caseId: 'c-1' };
    },
  });
  // @ts-expect-error a missing procedure (ping)
  bus.register(authApi, {
    checkPassword: () => true,
    createUser: ({ username }) => ({ username, created: true }),
  });
  bus.register(authApi, {
    // @ts-expect-error the wrong return type (checkPassword returns a boolean)
    checkPassword: () => 'yes',
    createUser: ({ username }) => ({ username, created: true }),
    ping: () => undefined,
  });
  bus.register(authApi, {
    // @ts-expect-error the wrong parameter type in the implementation
    checkPassword: ({ username }: { username: number }) => username > 0,
    createUser: ({ username }) => ({ username, created: true }),
    ping: () => undefined,
  });
  bus.register(authApi, {
    checkPassword: () => true,
    // @ts-expect-error a result missing a declared field
    createUser: ({ username }) => ({ username }),
    ping: () => undefined,
  });
  bus.register(supportChatApi, {});

  // ---- The untyped core stays available by name ----
  expectTypeOf(bus.call('auth.checkPassword', { username: 'ada', password: 'pw' })).toEqualTypeOf<Promise<unknown>>();
}

/** A bus created without definitions has no API members, only the core. */
export function untypedBus(): void {
  const bus = lightbus.create();
  // @ts-expect-error no definitions given, so no typed members
  void bus.auth;
  expectTypeOf(bus.fire).toBeFunction();
}
