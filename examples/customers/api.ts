import { lightbus, z } from '../../runtime';

/**
 * The customers API's definition: the contract other services import. It holds no
 * implementation, so importing it gives typed listeners without the customers service's code.
 */
export const customersApi = lightbus.api('customers', {
  events: {
    newCustomer: lightbus.event({
      description: 'A customer signed up.',
      parameters: {
        customerName: z.string().min(1),
        email: z.email(),
        /** Demo only: a real system would never put a password on the bus. */
        initialPassword: z.string().min(8),
      },
    }),
  },
});
