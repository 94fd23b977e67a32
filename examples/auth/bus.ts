import { lightbus } from '../../runtime';
import { customersApi } from '../customers/api';
import { authApi } from './api';
import { usersTableName } from './users-table';
import { UserTable } from './users';

/**
 * The auth service's bus module (the seed's example). `lightbus run --bus examples/auth/bus.ts`
 * serves auth's procedures and runs the listener below.
 */
export const bus = lightbus.create({ serviceName: 'auth', apis: [authApi, customersApi] });

// The users live in a table of auth's own, shared by every instance of this worker.
const users = new UserTable(() => usersTableName(bus.settings.busName));

bus.register(authApi, {
  checkPassword: ({ username, password }) => users.check(username, password),
  createUser: async ({ username, password, displayName }) => {
    const created = await users.create(username, password, displayName);
    if (created) await bus.auth.userCreated.fire({ username });
    return { username, created };
  },
});

// For each new customer, create a user by calling auth.createUser over the bus: the listener
// runs in the worker and calls an RPC like any other client would.
bus.customers.newCustomer.listen(
  async (event, { customerName, email, initialPassword }) => {
    const result = await bus.auth.createUser({ username: email, password: initialPassword, displayName: customerName });
    bus.logger.info('Created a user for a new customer', { customer: customerName, username: result.username, created: result.created, eventId: event.id });
  },
  { listenerName: 'createUserForCustomer' },
);

// A scheduled task: once a minute, in whichever worker (a local one or the Lambda) claims that
// scheduled time first; the others skip it.
bus.every(
  { minutes: 1 },
  async ({ scheduledTime }) => {
    bus.logger.info('Users so far', { users: await users.count(), scheduledTime: scheduledTime.toISOString() });
  },
  { taskName: 'reportUserCount' },
);
