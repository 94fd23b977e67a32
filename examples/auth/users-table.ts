/**
 * Where auth keeps its users: a DynamoDB table of the auth service's own (not part of the bus's
 * topology). Every instance of the worker — many Lambda instances, or local workers — reads and
 * writes the same table. The CDK example (examples/cdk/stacks.ts) and the local run
 * (examples/run-example.ts) both create it under this name. No SDK import here, so the CDK app
 * can use it without loading the SDK.
 */

/** The users table of the auth service on `busName`. */
export function usersTableName(busName: string): string {
  return `${busName}-auth-users`;
}

/** The table's partition key (a string): the username. */
export const USERS_TABLE_KEY = 'username';
