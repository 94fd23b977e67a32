import { DEAD_LETTER_SUFFIX } from '../../../runtime/topology';
import type { AwsClients } from '../../../runtime/transport';
import { DeadLetters, type DeadLetterListing, type DeadLetterQueue, type RedriveReport } from '../../dead-letters';

/** What the page asks for: a dead-letter queue of this bus, by name. */
export class UnknownDeadLetterQueueError extends Error {
  public override name = 'UnknownDeadLetterQueueError';
  public constructor(public readonly queueName: string) {
    super(`"${queueName.slice(0, 100)}" is not a dead-letter queue of this bus.`);
  }
}

/**
 * The bus's dead-letter queues, through the same DeadLetters code `lightbus dlq` uses: listing
 * releases what it received, a redrive moves messages back (and keeps RPC requests past their
 * deadline). Only queues of this bus, found by their names, can be named.
 */
export class DeadLetterQueues {
  private readonly deadLetters: DeadLetters;

  public constructor(
    clients: AwsClients,
    private readonly busName: string,
  ) {
    this.deadLetters = new DeadLetters(clients, busName);
  }

  /** Which listener or API a dead-letter queue belongs to, from its name; undefined if it is not one of this bus's. */
  public describe(deadLetterQueueName: string): DeadLetterQueue | undefined {
    if (!deadLetterQueueName.endsWith(DEAD_LETTER_SUFFIX)) return undefined;
    const sourceQueueName = deadLetterQueueName.slice(0, -DEAD_LETTER_SUFFIX.length);
    const rpc = `${this.busName}-rpc-`;
    const listen = `${this.busName}-listen-`;
    if (sourceQueueName.startsWith(rpc)) {
      // API names never contain "-": the slug turns "." into "-", so this reverses it.
      return { kind: 'rpc', name: sourceQueueName.slice(rpc.length).replace(/-/g, '.'), sourceQueueName, deadLetterQueueName };
    }
    if (sourceQueueName.startsWith(listen)) {
      return { kind: 'listener', name: sourceQueueName.slice(listen.length), sourceQueueName, deadLetterQueueName };
    }
    return undefined;
  }

  public async list(deadLetterQueueName: string, known: readonly string[], limit = 100): Promise<DeadLetterListing> {
    return this.deadLetters.list(this.resolve(deadLetterQueueName, known), { limit });
  }

  /** Redrives every message, or only `ids` (SQS message ids or lightbus ids). */
  public async redrive(deadLetterQueueName: string, known: readonly string[], ids?: readonly string[]): Promise<RedriveReport> {
    return this.deadLetters.redrive(this.resolve(deadLetterQueueName, known), ids !== undefined && ids.length > 0 ? { ids } : {});
  }

  /** A queue the page names must be one the overview found on this bus. */
  private resolve(deadLetterQueueName: string, known: readonly string[]): DeadLetterQueue {
    const queue = known.includes(deadLetterQueueName) ? this.describe(deadLetterQueueName) : undefined;
    if (queue === undefined) throw new UnknownDeadLetterQueueError(deadLetterQueueName);
    return queue;
  }
}
