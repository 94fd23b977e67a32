import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { WORKER_INDEX_KEY } from '../topology';
import { expiresAtOf, indexEntryName, isIndexEntryOf, stateEventEntry, stateItem } from './payload';
import type { WorkerState, WorkerStateEvent } from './types';

/** Where worker state goes: the bus's results table and event bus. */
export interface WorkerStateTarget {
  readonly dynamoDb: Pick<DynamoDBClient, 'send'>;
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly tableName: string;
  readonly eventBusName: string;
}

/** A report to write: the state, the event that reports it, and who sends it. */
export interface WorkerStateReport {
  readonly state: WorkerState & { readonly heartbeatSeconds: number };
  readonly event: WorkerStateEvent;
  /** The worker's process name (the event's `sender.process`). */
  readonly process: string;
}

/** What became of each part of a report; a failed part carries its error (the others still happened). */
export interface WorkerStateWriteOutcome {
  readonly failures: readonly { readonly part: 'item' | 'index' | 'event'; readonly error: Error }[];
}

/**
 * Writes worker state: the worker's item `worker#<service>#<workerId>` (PutItem), its entry in the
 * index item `workers#index` (UpdateItem `SET <service>#<workerId> = <expiresAt>`), and the
 * worker-state event (PutEvents). The three go out together (one round trip of time); one that
 * fails does not hold back the others. docs/wire-format.md, "Worker state".
 */
export class WorkerStateStore {
  public constructor(private readonly target: WorkerStateTarget) {}

  public async write(report: WorkerStateReport): Promise<WorkerStateWriteOutcome> {
    const { state } = report;
    const entry = indexEntryName(state.service, state.workerId);
    const parts = {
      item: () => this.target.dynamoDb.send(new PutItemCommand({ TableName: this.target.tableName, Item: stateItem(state) })),
      index: () =>
        this.target.dynamoDb.send(
          new UpdateItemCommand({
            TableName: this.target.tableName,
            Key: { pk: { S: WORKER_INDEX_KEY } },
            UpdateExpression: 'SET #entry = :expiresAt',
            ExpressionAttributeNames: { '#entry': entry },
            ExpressionAttributeValues: { ':expiresAt': { N: String(expiresAtOf(Date.parse(state.lastSeenAt), state.heartbeatSeconds)) } },
          }),
        ),
      event: async () => {
        const out = await this.target.eventBridge.send(
          new PutEventsCommand({ Entries: [{ ...stateEventEntry(state, report.event, { process: report.process }), EventBusName: this.target.eventBusName }] }),
        );
        const failed = out.Entries?.[0];
        if ((out.FailedEntryCount ?? 0) > 0) {
          throw new Error(
            `PutEvents refused the worker-state event ${report.event} of service ${state.service}, worker ${state.workerId}: ` +
              `${failed?.ErrorCode ?? '?'} ${failed?.ErrorMessage ?? ''}`.trim(),
          );
        }
      },
    } as const;
    const names = Object.keys(parts) as (keyof typeof parts)[];
    const settled = await Promise.allSettled(names.map((name) => parts[name]()));
    return {
      failures: settled.flatMap((result, index) =>
        result.status === 'rejected' ? [{ part: names[index] as keyof typeof parts, error: toError(result.reason) }] : [],
      ),
    };
  }

  /**
   * Removes `service`'s index entries that expired before `nowMs` (its workers that died without
   * stopping, or Lambda environments long gone), so the index does not grow without end. Only the
   * service's own: its grant lets it set and remove `<service>#*` entries and no others, and other
   * services' expired entries are left out by every reader anyway (each service prunes its own when
   * one of its workers starts). One GetItem, and one UpdateItem if anything expired. An entry removed
   * here that its worker still refreshes comes back with its next report. Resolves to the number of
   * entries removed.
   */
  public async pruneExpired(service: string, nowMs: number = Date.now()): Promise<number> {
    const out = await this.target.dynamoDb.send(
      new GetItemCommand({ TableName: this.target.tableName, Key: { pk: { S: WORKER_INDEX_KEY } }, ConsistentRead: true }),
    );
    const expired = Object.entries(out.Item ?? {})
      .filter(([name, value]) => isIndexEntryOf(name, service) && Number(value.N ?? 0) * 1000 < nowMs)
      .map(([name]) => name)
      // UpdateItem takes up to 4 KB of expression: a few hundred names per call is plenty, the rest go next time.
      .slice(0, 100);
    if (expired.length === 0) return 0;
    await this.target.dynamoDb.send(
      new UpdateItemCommand({
        TableName: this.target.tableName,
        Key: { pk: { S: WORKER_INDEX_KEY } },
        UpdateExpression: `REMOVE ${expired.map((_, i) => `#e${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(expired.map((name, i) => [`#e${i}`, name])),
      }),
    );
    return expired.length;
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
