import { lightbus, z } from '../../runtime';

/** The auth API's definition: import this (not bus.ts) to call auth's procedures with types. */
export const authApi = lightbus.api('auth', {
  rpcs: {
    checkPassword: lightbus.rpc({
      description: 'True when the password is right for the user.',
      parameters: { username: z.string().min(1), password: z.string() },
      response: z.boolean(),
    }),
    createUser: lightbus.rpc({
      description: 'Creates a user; fails if the username is taken.',
      parameters: { username: z.string().min(1), password: z.string().min(8), displayName: z.string().optional() },
      response: z.object({ username: z.string(), created: z.boolean() }),
    }),
  },
  events: {
    userCreated: lightbus.event({ parameters: { username: z.string() } }),
  },
});
