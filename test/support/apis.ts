/** API definitions shared by tests and by the bus modules in test/fixtures. */
import { lightbus, z } from '../../runtime';

/** A test API with a procedure for each behaviour the tests need. */
export const mathApi = lightbus.api('math', {
  rpcs: {
    add: lightbus.rpc({ parameters: { a: z.number(), b: z.number() }, response: z.number() }),
    fail: lightbus.rpc({ parameters: { message: z.string() }, response: z.void() }),
    slow: lightbus.rpc({ parameters: { ms: z.number().int() }, response: z.string() }),
  },
  events: {
    happened: lightbus.event({ parameters: { n: z.number().int(), label: z.string().optional() } }),
  },
});

