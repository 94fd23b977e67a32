import { lightbus } from '../../runtime';
import { customersApi } from './api';

/**
 * The customers service's bus module. It registers (and so may fire) the customers API; it has
 * no procedures to serve and no listeners, so it needs no worker.
 */
export const bus = lightbus.create({ serviceName: 'customers', apis: [customersApi] });

bus.register(customersApi, {});
