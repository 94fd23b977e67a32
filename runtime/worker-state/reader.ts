import { BatchGetItemCommand, GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BusClient } from '../client';
import { WORKER_INDEX_KEY, WORKER_KEY_PREFIX } from '../topology';
import { stateFromItem } from './payload';
import type { WorkerState } from './types';

export interface ReadWorkerStatesOptions {
  readonly signal?: AbortSignal;
  /** Entries that expired before this are left out. @default Date.now() */
  readonly now?: number;
}

/** BatchGetItem's most keys per call. */
const BATCH_GET_LIMIT = 100;
/** Rounds of UnprocessedKeys retried before giving up on them (DynamoDB throttling). */
const MAX_UNPROCESSED_ROUNDS = 5;

/**
 * The bus's workers as they last reported themselves (running or stopping, stale ones included:
 * see {@link isWorkerStale}), sorted by service and worker id. Reads the index item
 * `workers#index` and then the items it names (BatchGetItem, strongly consistent): no Scan, so it
 * costs the same on a results table of any size. Workers whose entry expired are left out.
 */
export function readWorkerStates(bus: BusClient, options: ReadWorkerStatesOptions = {}): Promise<WorkerState[]> {
  return readWorkerStatesFrom(bus.transports.clients.dynamoDb, bus.transports.location.resultsTable, options);
}

/** {@link readWorkerStates} for a process without a bus client (the CLI): the table and a DynamoDB client. */
export async function readWorkerStatesFrom(
  dynamoDb: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  options: ReadWorkerStatesOptions = {},
): Promise<WorkerState[]> {
  const now = options.now ?? Date.now();
  // undefined, not {}: a call with options empties the client's middleware cache (aws-clients.ts).
  const sendOptions = options.signal ? { abortSignal: options.signal } : undefined;
  const index = await dynamoDb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: WORKER_INDEX_KEY } }, ConsistentRead: true }),
    sendOptions,
  );
  const live = Object.entries(index.Item ?? {})
    .filter(([name, value]) => name.includes('#') && Number(value.N ?? 0) * 1000 >= now)
    .map(([name]) => `${WORKER_KEY_PREFIX}${name}`);
  const items: Record<string, AttributeValue>[] = [];
  for (let start = 0; start < live.length; start += BATCH_GET_LIMIT) {
    let keys: Record<string, AttributeValue>[] = live.slice(start, start + BATCH_GET_LIMIT).map((pk) => ({ pk: { S: pk } }));
    for (let round = 0; keys.length > 0 && round < MAX_UNPROCESSED_ROUNDS; round++) {
      if (round > 0) await pause(50 * 2 ** round, options.signal);
      const out = await dynamoDb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        sendOptions,
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return items
    .filter((item) => Number(item.expiresAt?.N ?? Number.POSITIVE_INFINITY) * 1000 >= now)
    .flatMap((item) => {
      const state = stateFromItem(item);
      return state ? [state] : [];
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.workerId.localeCompare(b.workerId));
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });
}
