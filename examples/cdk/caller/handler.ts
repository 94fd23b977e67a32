/**
 * A plain Lambda function in a stack of its own that calls an RPC over the bus. It finds the bus
 * through the environment `grantCall()` gave it (LIGHTBUS_BUS_NAME, LIGHTBUS_RESULTS_TABLE, ...);
 * nothing about the auth service's deployment is wired in.
 */
import { lightbus } from '../../../runtime';
import { authApi } from '../../auth/api';

// Created once per container; no network calls until the first invocation.
const bus = lightbus.create({ apis: [authApi] });

export interface CheckPasswordEvent {
  readonly username: string;
  readonly password: string;
}

export async function handler(event: CheckPasswordEvent): Promise<{ valid: boolean }> {
  const valid = await bus.auth.checkPassword({ username: event.username, password: event.password });
  return { valid };
}
