import { lightbus } from '../../runtime';
import { customersApi } from './api';

/**
 * The customers service's bus module. It registers (and so may fire) the customers API; it has
 * no procedures to serve and no listeners, so it consumes nothing. On Lambda its LightbusService
 * still gets one function, which publishes the customers schema at deploy time.
 */
export const bus = lightbus.create({ serviceName: 'customers', apis: [customersApi] });

bus.register(customersApi, {});
