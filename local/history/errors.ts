import { LightbusError } from '../../runtime/errors';

/** A replay that cannot be done as asked: nothing was replayed. */
export class ReplayRefusedError extends LightbusError {
  public constructor(message: string, context: Record<string, unknown> = {}) {
    super('REPLAY_REFUSED', `${message} Nothing was replayed.`, context);
  }
}
