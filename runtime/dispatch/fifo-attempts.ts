import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ResultAttributes as A } from '../messages/wire';
import { attemptsKey } from '../topology/table-keys';
import type { AwsClients } from '../transport/aws-clients';

/** The results-table attribute holding an attempts item's count of failed runs. */
export const ATTEMPTS_ATTRIBUTE = 'attempts';

/** How long an attempts item is kept: SQS's longest message retention (14 days), so it outlives its message. */
export const ATTEMPTS_TTL_SECONDS = 14 * 24 * 3600;

/** Where an ordered listener's failed runs are counted; {@link FifoAttempts} on DynamoDB, a stub in tests. */
export interface AttemptCounter {
  /** Records one more failed run of the message; resolves with how many runs of it have failed, this one included. */
  failed(target: AttemptTarget): Promise<number>;
}

/** The message whose failed run is counted. */
export interface AttemptTarget {
  readonly table: string;
  readonly service: string;
  readonly listenerName: string;
  /** The SQS message id: stable across receives of one message, new for a redriven copy. */
  readonly messageId: string;
}

/**
 * Counts the failed runs of an ordered listener's messages, for the retry backoff and the decision to
 * dead-letter. SQS's ApproximateReceiveCount cannot serve on a FIFO queue: every time an earlier
 * message of the group fails, the later ones received with it are given back unrun (the local
 * worker's hold-back, Lambda's batchItemFailures), and each such receive counts. Counting those, a
 * group's next message could be dead-lettered on its first own failure. So the count is one item per
 * message, `attempts#<service>#<listener>#<message id>` in the results table, written only when a run
 * fails (one UpdateItem ADD; a success costs nothing) and expiring with the table's TTL.
 */
export class FifoAttempts implements AttemptCounter {
  public constructor(private readonly clients: () => Pick<AwsClients, 'dynamoDb'>) {}

  public async failed(target: AttemptTarget): Promise<number> {
    const out = await this.clients().dynamoDb.send(
      new UpdateItemCommand({
        TableName: target.table,
        Key: { [A.PartitionKey]: { S: attemptsKey(target.service, target.listenerName, target.messageId) } },
        UpdateExpression: 'ADD #attempts :one SET #expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#attempts': ATTEMPTS_ATTRIBUTE, '#expiresAt': A.ExpiresAt },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expiresAt': { N: String(Math.floor(Date.now() / 1000) + ATTEMPTS_TTL_SECONDS) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(out.Attributes?.[ATTEMPTS_ATTRIBUTE]?.N);
    // An endpoint that returns nothing: count this run as the first, so the listener is at least retried.
    return Number.isFinite(count) && count > 0 ? count : 1;
  }
}
