/**
 * WorkerStateStore against a stubbed DynamoDB and EventBridge (what it sends, not AWS): pruning the
 * shared index touches the pruning service's own entries only (its grant allows no others), and a
 * refused worker-state event says whose it was.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { WORKER_INDEX_KEY } from '../../runtime/topology';
import { indexEntriesOf, isIndexEntryOf, WorkerStateEvent, WorkerStateStore, type WorkerState } from '../../runtime/worker-state';

const NOW_MS = Date.parse('2026-12-06T06:00:00.000Z');
const EXPIRED = { N: String(NOW_MS / 1000 - 60) };
const LIVE = { N: String(NOW_MS / 1000 + 60) };

/** A DynamoDB stub whose GetItem returns `index` as the workers#index item; records every command. */
function dynamoWithIndex(index: Record<string, { N: string }>) {
  const sent: unknown[] = [];
  const send = jest.fn(async (command: unknown) => {
    sent.push(command);
    if (command instanceof GetItemCommand) return { Item: { pk: { S: WORKER_INDEX_KEY }, ...index } };
    return {};
  });
  return { client: { send } as unknown as Pick<DynamoDBClient, 'send'>, sent };
}

function storeWith(dynamoDb: Pick<DynamoDBClient, 'send'>, eventBridge: Pick<EventBridgeClient, 'send'> = { send: jest.fn() } as never) {
  return new WorkerStateStore({ dynamoDb, eventBridge, tableName: 'results', eventBusName: 'bus' });
}

describe('WorkerStateStore.pruneExpired', () => {
  it("removes the service's own expired entries only: never another service's, live or expired", async () => {
    const { client, sent } = dynamoWithIndex({
      'auth#aaaaaaaaaaaa': EXPIRED,
      'auth#bbbbbbbbbbbb': LIVE,
      'billing#cccccccccccc': EXPIRED,
      // Starts with "auth" but is another service's entry.
      'authz#dddddddddddd': EXPIRED,
    });
    await expect(storeWith(client).pruneExpired('auth', NOW_MS)).resolves.toBe(1);
    const updates = sent.filter((c): c is UpdateItemCommand => c instanceof UpdateItemCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.input).toMatchObject({ Key: { pk: { S: WORKER_INDEX_KEY } }, UpdateExpression: 'REMOVE #e0' });
    expect(Object.values(updates[0]!.input.ExpressionAttributeNames ?? {})).toEqual(['auth#aaaaaaaaaaaa']);
  });

  it("sends no update when only other services' entries expired", async () => {
    const { client, sent } = dynamoWithIndex({ 'billing#cccccccccccc': EXPIRED, 'auth#bbbbbbbbbbbb': LIVE });
    await expect(storeWith(client).pruneExpired('auth', NOW_MS)).resolves.toBe(0);
    expect(sent.filter((c) => c instanceof UpdateItemCommand)).toEqual([]);
  });

  it("names a service's entries as its grant does (`<service>#*`)", () => {
    expect(indexEntriesOf('auth')).toBe('auth#*');
    expect(isIndexEntryOf('auth#aaaaaaaaaaaa', 'auth')).toBe(true);
    expect(isIndexEntryOf('authz#aaaaaaaaaaaa', 'auth')).toBe(false);
    expect(isIndexEntryOf('pk', 'auth')).toBe(false);
  });
});

describe('WorkerStateStore.write', () => {
  it('reports a refused worker-state event with its event, service and worker id', async () => {
    const state: WorkerState & { heartbeatSeconds: number } = {
      service: 'auth',
      workerId: 'a1b2c3d4e5f6',
      status: 'running',
      runtime: 'local',
      apis: ['auth'],
      listeners: [],
      version: '0.1.0',
      host: 'box',
      pid: 4711,
      startedAt: '2026-12-06T05:00:00.000Z',
      lastSeenAt: '2026-12-06T05:01:00.000Z',
      heartbeatSeconds: 60,
    };
    const eventBridge = { send: jest.fn(async () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not allowed' }] })) };
    const { client } = dynamoWithIndex({});
    const outcome = await storeWith(client, eventBridge as never).write({ state, event: WorkerStateEvent.Started, process: 'worker' });
    expect(outcome.failures.map((f) => [f.part, f.error.message])).toEqual([
      ['event', 'PutEvents refused the worker-state event workerStarted of service auth, worker a1b2c3d4e5f6: AccessDeniedException not allowed'],
    ]);
  });
});
