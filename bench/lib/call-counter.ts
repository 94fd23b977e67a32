/** Counts the AWS calls a set of SDK clients makes, by command name (for the details of a scenario). */
import type { AwsClients } from '../../runtime/transport';

type Stackable = { middlewareStack: { add: (mw: unknown, options: unknown) => void } };

export function countCalls(clients: AwsClients): Map<string, number> {
  const counts = new Map<string, number>();
  for (const client of [clients.sqs, clients.eventBridge, clients.dynamoDb] as unknown as Stackable[]) {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
        const name = context.commandName ?? 'unknown';
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  }
  return counts;
}
