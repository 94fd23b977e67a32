// The bus module the container runs: `node node_modules/lightbus-aws/bin/lightbus.js run --bus bus.js`.
// Plain JavaScript, so the image needs no TypeScript loader.
const { lightbus } = require('lightbus-aws');
const { greeterApi, shopApi } = require('./apis');

const bus = lightbus.create({ serviceName: 'greeter', apis: [greeterApi, shopApi] });

bus.register(greeterApi, {
  greet: ({ name }) => `Hello, ${name}!`,
});

bus.shop.orderPlaced.listen(
  (event, { orderId }) => {
    bus.logger.info('Order placed', { orderId, eventId: event.id });
  },
  { listenerName: 'logOrders' },
);

module.exports = { bus };
