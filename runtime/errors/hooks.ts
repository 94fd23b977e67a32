import { LightbusError } from './lightbus-error';

/** Thrown by `hooks.on()` given a name that is not a hook, or something that is not a function. */
export class InvalidHookError extends LightbusError {
  public constructor(message: string, context: Record<string, unknown>) {
    super('INVALID_HOOK', message, context);
  }
}
