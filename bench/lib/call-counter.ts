/** Counts the AWS calls a set of SDK clients makes, by command name (for the details of a scenario). */
import type { AwsClients } from '../../runtime/transport';

type Sending = { send: (command: object, ...rest: unknown[]) => Promise<unknown> };

export interface CountCallsOptions {
  /** Counts the SNS client's calls too (building it if no one has). @default false */
  readonly sns?: boolean;
  /** `PutEvents` instead of `PutEventsCommand`. @default false */
  readonly operationNames?: boolean;
}

/**
 * Wraps each client's `send` (every SQS client: the long polls have their own). Not a middleware:
 * changing a client's middleware stack turns its middleware cache off (runtime/transport/
 * aws-clients.ts), and a counted run would then measure a client lightbus does not run.
 */
export function countCalls(clients: AwsClients, options: CountCallsOptions = {}): Map<string, number> {
  const counts = new Map<string, number>();
  const list = [clients.sqs, clients.sqsLongPolls, clients.eventBridge, clients.dynamoDb, ...(options.sns ? [clients.sns] : [])] as unknown as Sending[];
  for (const client of list) {
    const send = client.send.bind(client);
    client.send = (command: object, ...rest: unknown[]) => {
      const commandName = command.constructor.name;
      const name = options.operationNames ? commandName.replace(/Command$/, '') : commandName;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return send(command, ...rest);
    };
  }
  return counts;
}
