import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AwsSettings } from '../../../runtime/config';
import { ResultAttributes as A } from '../../../runtime/messages';
import { classifyKey, KeyKind } from '../../../runtime/topology';
import type { AwsClients } from '../../../runtime/transport';
import { traceFields, type TrafficCall } from '../traffic';

export interface CallFeedOptions {
  readonly clients: AwsClients;
  readonly aws: AwsSettings;
  readonly resultsTable: string;
  readonly onCall: (call: TrafficCall) => void;
  /** How long to wait after an empty read of every shard, ms. @default 250 */
  readonly idleDelayMs?: number;
}

/** Whether the feed runs, or why it cannot: shown on the page. */
export type CallFeedStatus =
  | { readonly state: 'running'; readonly streamArn: string }
  | { readonly state: 'unavailable'; readonly reason: string }
  | { readonly state: 'stopped' };

type Image = NonNullable<NonNullable<StreamRecord['dynamodb']>['NewImage']>;

const RESHARD_EVERY_MS = 10_000;

/**
 * RPC calls as they run, from the results table's DynamoDB stream (NEW_IMAGE): a worker's claim
 * (api, procedure, parameters, claimedAt) and then its outcome (result or error, completedAt). The
 * request queues cannot be watched (their workers consume them); the stream costs the workers no
 * call. A table without a stream is reported, not changed: the dashboard is read-only.
 */
export class CallFeed {
  private readonly stopping = new AbortController();
  private readonly streams: DynamoDBStreamsClient;
  private loop: Promise<void> | undefined;
  public status: CallFeedStatus = { state: 'stopped' };

  public constructor(private readonly options: CallFeedOptions) {
    this.streams = new DynamoDBStreamsClient({
      ...(options.aws.region !== undefined ? { region: options.aws.region } : {}),
      ...(options.aws.endpoint !== undefined ? { endpoint: options.aws.endpoint } : {}),
    });
  }

  /** Finds the stream and starts reading from now on; resolves with the status either way. */
  public async start(): Promise<CallFeedStatus> {
    const table = await this.options.clients.dynamoDb.send(new DescribeTableCommand({ TableName: this.options.resultsTable }));
    const streamArn = table.Table?.LatestStreamArn;
    const viewType = table.Table?.StreamSpecification?.StreamViewType;
    if (streamArn === undefined || table.Table?.StreamSpecification?.StreamEnabled === false) {
      this.status = {
        state: 'unavailable',
        reason:
          `The results table ${this.options.resultsTable} has no stream, so RPC calls cannot be shown (events still are). ` +
          'Enable one with view type NEW_IMAGE (`lightbus run --local` and the LightbusBus construct create it so; on a table made otherwise, set it on the table).',
      };
      return this.status;
    }
    if (viewType !== 'NEW_IMAGE' && viewType !== 'NEW_AND_OLD_IMAGES') {
      this.status = { state: 'unavailable', reason: `The results table's stream has view type ${viewType}; RPC calls need NEW_IMAGE or NEW_AND_OLD_IMAGES.` };
      return this.status;
    }
    this.status = { state: 'running', streamArn };
    this.loop = this.read(streamArn);
    return this.status;
  }

  public async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop?.catch(() => undefined);
    this.streams.destroy();
    this.status = { state: 'stopped' };
  }

  private async read(streamArn: string): Promise<void> {
    const signal = this.stopping.signal;
    const iterators = new Map<string, string | undefined>();
    const known = new Set<string>();
    let reshardAt = 0;
    let first = true;
    while (!signal.aborted) {
      try {
        if (Date.now() >= reshardAt) {
          await this.discoverShards(streamArn, iterators, known, first ? 'LATEST' : 'TRIM_HORIZON');
          first = false;
          reshardAt = Date.now() + RESHARD_EVERY_MS;
        }
        let got = 0;
        for (const [shardId, iterator] of iterators) {
          if (iterator === undefined) continue;
          const out = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), { abortSignal: signal });
          iterators.set(shardId, out.NextShardIterator);
          for (const record of out.Records ?? []) {
            const call = readCallRecord(record);
            if (call !== undefined) this.options.onCall(call);
          }
          got += out.Records?.length ?? 0;
        }
        if (got === 0) await sleep(this.options.idleDelayMs ?? 250, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (/ExpiredIterator|TrimmedDataAccess/.test((error as Error).name)) iterators.clear(), known.clear();
        reshardAt = 0;
        await sleep(1000, signal);
      }
    }
  }

  /** Opens an iterator on every shard not seen before: new shards are read from their start. */
  private async discoverShards(streamArn: string, iterators: Map<string, string | undefined>, known: Set<string>, position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    const described = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of described.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || known.has(shardId)) continue;
      known.add(shardId);
      const out = await this.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: position }));
      iterators.set(shardId, out.ShardIterator);
    }
  }
}

/** The call a stream record describes, or undefined for other items (schemas, owners, task runs) and deletions. */
export function readCallRecord(record: StreamRecord): TrafficCall | undefined {
  const image = record.dynamodb?.NewImage;
  if (image === undefined || record.eventName === 'REMOVE') return undefined;
  const key = text(image, A.PartitionKey);
  if (key === undefined || classifyKey(key).kind !== KeyKind.CallResult) return undefined;
  const state = text(image, A.State);
  if (state !== 'claimed' && state !== 'ok' && state !== 'error') return undefined;
  const claimedAt = number(image, A.ClaimedAt);
  const completedAt = number(image, A.CompletedAt);
  const parameters = json(text(image, A.Parameters));
  const result = state === 'ok' ? json(text(image, A.Result)) : undefined;
  const error = state === 'error' ? (json(text(image, A.Error)) as TrafficCall['error']) : undefined;
  const claimedBy = text(image, A.ClaimedBy);
  return {
    kind: 'call',
    id: key,
    // A malformed request's error is written without a claim: it names no API or procedure.
    api: text(image, A.Api) ?? '?',
    name: text(image, A.Procedure) ?? '?',
    state,
    at: claimedAt ?? completedAt ?? Date.now(),
    ...(parameters !== undefined && typeof parameters === 'object' && parameters !== null ? { parameters: parameters as Record<string, unknown> } : {}),
    ...(state === 'ok' ? { result } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(completedAt !== undefined ? { completedAt } : {}),
    ...(completedAt !== undefined && claimedAt !== undefined ? { latencyMs: completedAt - claimedAt } : {}),
    ...(claimedBy !== undefined ? { claimedBy } : {}),
    ...traceFields({ traceparent: text(image, 'traceparent'), tracestate: text(image, 'tracestate') }),
  };
}

function text(image: Image, name: string): string | undefined {
  const value = image[name];
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

function number(image: Image, name: string): number | undefined {
  const value = image[name];
  const n = value !== undefined && 'N' in value && typeof value.N === 'string' ? Number(value.N) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function json(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    // The listener goes when the timer fires: a loop of sleeps must not pile them up on the signal.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
