import { LightbusError } from '../../runtime/errors';

/** The dead-letter queue of the named listener or API does not exist (unknown name, or never provisioned/deployed). */
export class DeadLetterQueueNotFoundError extends LightbusError {
  public constructor(what: string, queueName: string) {
    super(
      'DLQ_NOT_FOUND',
      `${what} has no dead-letter queue "${queueName}": check the name (and --bus-name/--service-name) and the endpoint. ` +
        'A queue exists once its service was deployed or run with `lightbus run --local`.',
      { queue: queueName },
    );
  }
}
