import { randomBytes, randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { WIRE_VERSION } from '../messages/wire';
import { ANONYMOUS_CALLER_SCOPE, KeyPatterns, WORKER_KEY_PREFIX, workerKey, type Topology } from '../topology';
import {
  EXPIRE_AFTER_HEARTBEATS,
  WORKER_STATE_API,
  type WorkerListener,
  type WorkerRuntime,
  type WorkerState,
  type WorkerStateEvent,
  type WorkerStatus,
} from './types';

/** What a worker serves: the part of its state that does not change while it runs. */
export interface WorkerDescription {
  readonly service: string;
  readonly apis: readonly string[];
  readonly listeners: readonly WorkerListener[];
}

/** Which of the bus module's queues a worker consumes. @default every one */
export interface WorkerServes {
  /** Whether it serves this API's procedures. */
  readonly api?: (api: string) => boolean;
  /** Whether it runs this listener. */
  readonly listener?: (listenerName: string) => boolean;
}

/** A new worker id: 12 lowercase hex characters, unique per worker process (no `#`, `*` or `?`). */
export function newWorkerId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * What a worker of this topology serves (narrowed by `serves`: `--only`/`--skip`, or a Lambda
 * function that serves part of the module). A module without a service name reports as `anon`.
 */
export function describeWorker(topology: Topology, serves: WorkerServes = {}): WorkerDescription {
  const servesApi = serves.api ?? (() => true);
  const runsListener = serves.listener ?? (() => true);
  return {
    service: topology.serviceName ?? ANONYMOUS_CALLER_SCOPE,
    apis: topology.rpcQueues.map((q) => q.api).filter(servesApi).sort(),
    listeners: topology.listeners
      .filter((l) => runsListener(l.listenerName))
      .flatMap((l) => l.events.map((e) => ({ api: e.api, event: e.event, listener: l.listenerName }))),
  };
}

/** The epoch second after which a report made at `lastSeenMs` no longer counts. */
export function expiresAtOf(lastSeenMs: number, heartbeatSeconds: number): number {
  return Math.ceil(lastSeenMs / 1000 + EXPIRE_AFTER_HEARTBEATS * heartbeatSeconds);
}

/** The index entry's name for a worker: `<service>#<workerId>` (an attribute of `workers#index`). */
export function indexEntryName(service: string, workerId: string): string {
  return workerKey(service, workerId).slice(WORKER_KEY_PREFIX.length);
}

/**
 * The names of a service's entries in `workers#index` as an IAM `StringLike` pattern,
 * `<service>#*`: what the service's grant lets it set and remove (cdk/service-grants.ts
 * grantWorkerState). A service name holds no `#`, `*` or `?` (refused by the key module).
 */
export function indexEntriesOf(service: string): string {
  return KeyPatterns.workersOf(service).slice(WORKER_KEY_PREFIX.length);
}

/** Whether the index attribute `name` is an entry of `service`'s (`<service>#<workerId>`). */
export function isIndexEntryOf(name: string, service: string): boolean {
  return name.startsWith(indexEntriesOf(service).slice(0, -1));
}

/** The item `worker#<service>#<workerId>` (docs/wire-format.md, "Worker state"). */
export function stateItem(state: WorkerState & { readonly heartbeatSeconds: number }): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: workerKey(state.service, state.workerId) },
    kind: { S: 'worker' },
    service: { S: state.service },
    workerId: { S: state.workerId },
    status: { S: state.status },
    runtime: { S: state.runtime },
    apis: { L: state.apis.map((api) => ({ S: api })) },
    listeners: {
      L: state.listeners.map((l) => ({ M: { api: { S: l.api }, event: { S: l.event }, listener: { S: l.listener } } })),
    },
    version: { S: state.version },
    startedAt: { S: state.startedAt },
    lastSeenAt: { S: state.lastSeenAt },
    heartbeatSeconds: { N: String(state.heartbeatSeconds) },
    expiresAt: { N: String(expiresAtOf(Date.parse(state.lastSeenAt), state.heartbeatSeconds)) },
  };
  if (state.host !== undefined) item.host = { S: state.host };
  if (state.pid !== undefined) item.pid = { N: String(state.pid) };
  return item;
}

/** A worker item read back; undefined for anything that is not one (another writer's, or damaged). */
export function stateFromItem(item: Record<string, AttributeValue>): WorkerState | undefined {
  const s = (name: string): string | undefined => item[name]?.S;
  const n = (name: string): number | undefined => {
    const value = item[name]?.N;
    return value === undefined ? undefined : Number(value);
  };
  const service = s('service');
  const workerId = s('workerId');
  const status = s('status');
  const runtime = s('runtime');
  const startedAt = s('startedAt');
  const lastSeenAt = s('lastSeenAt');
  if (service === undefined || workerId === undefined || startedAt === undefined || lastSeenAt === undefined) return undefined;
  if (!isStatus(status) || !isRuntime(runtime)) return undefined;
  const listeners = (item.listeners?.L ?? []).flatMap((entry): WorkerListener[] => {
    const m = entry.M;
    return m?.api?.S !== undefined && m.event?.S !== undefined && m.listener?.S !== undefined
      ? [{ api: m.api.S, event: m.event.S, listener: m.listener.S }]
      : [];
  });
  const host = s('host');
  const pid = n('pid');
  const heartbeatSeconds = n('heartbeatSeconds');
  return {
    service,
    workerId,
    status,
    runtime,
    apis: (item.apis?.L ?? []).flatMap((entry) => (entry.S !== undefined ? [entry.S] : [])),
    listeners,
    version: s('version') ?? 'unknown',
    ...(host !== undefined ? { host } : {}),
    ...(pid !== undefined && Number.isFinite(pid) ? { pid } : {}),
    startedAt,
    lastSeenAt,
    ...(heartbeatSeconds !== undefined && heartbeatSeconds > 0 ? { heartbeatSeconds } : {}),
  };
}

/**
 * The EventBridge entry of a worker-state event: an ordinary lightbus event of the internal API
 * `lightbus.state` (Source `lightbus.lightbus.state`, DetailType `lightbus.state.<event>`), whose
 * parameters are the state. Any listener, rule or `lightbus inspect --api lightbus.state` sees it.
 */
export function stateEventEntry(
  state: WorkerState,
  event: WorkerStateEvent,
  sender: { readonly process: string },
): { Source: string; DetailType: string; Detail: string } {
  return {
    Source: `lightbus.${WORKER_STATE_API}`,
    DetailType: `${WORKER_STATE_API}.${event}`,
    Detail: JSON.stringify({
      v: WIRE_VERSION,
      kind: 'lightbus.event',
      id: randomUUID(),
      api: WORKER_STATE_API,
      event,
      parameters: state,
      firedAt: new Date().toISOString(),
      sender: { service: state.service, process: sender.process },
    }),
  };
}

function isStatus(value: string | undefined): value is WorkerStatus {
  return value === 'running' || value === 'stopping';
}

function isRuntime(value: string | undefined): value is WorkerRuntime {
  return value === 'local' || value === 'lambda';
}
