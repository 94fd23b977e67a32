// The APIs of the container example, in plain JavaScript (CommonJS): callers import these, the
// worker's bus module (bus.js) serves them.
const { lightbus, z } = require('lightbus-aws');

/** Served by the worker in the container. */
const greeterApi = lightbus.api('greeter', {
  rpcs: {
    greet: lightbus.rpc({ parameters: { name: z.string().min(1) }, response: z.string() }),
  },
});

/** Fired by others; the worker listens. */
const shopApi = lightbus.api('shop', {
  events: {
    orderPlaced: lightbus.event({ parameters: { orderId: z.string() } }),
  },
});

module.exports = { greeterApi, shopApi };
