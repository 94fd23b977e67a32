import { ConfigurationError } from '../errors';
import { eventDetailType, eventSource, ResultAttributes } from '../messages/wire';
import {
  deadLetterQueueName,
  eventBusName,
  listenerQueueName,
  listenerRuleName,
  orderedListenerQueueName,
  payloadBucketPrefix,
  RESOURCE_NAME_PART,
  resultsTableName,
  rpcQueueName,
  taskRuleName,
} from './naming';
import { PayloadKind, payloadKeyPattern } from '../payloads/keys';
import { parseScheduleExpression, runsOnEventBridge } from '../tasks/schedule';
import { eventTransportOf, subscriptionsOf, topicsOf, type EventTransportName, type TopicModel, type TopicSubscriptionModel } from './event-transport';

/**
 * The one model of a service's AWS resources. Local provisioning and the CDK construct both
 * render it; nothing else lists resources. Plain data only, so it serialises and diffs cleanly.
 */
export interface Topology {
  readonly busName: string;
  /** Undefined for a bus that only calls and fires (it owns no listener queues). */
  readonly serviceName: string | undefined;
  readonly eventBus: { readonly name: string };
  readonly resultsTable: ResultsTableModel;
  /** Payloads too large for their messages (runtime/payloads); one bucket per bus. */
  readonly payloadBucket: PayloadBucketModel;
  /** One request queue per API this service registered (serves). */
  readonly rpcQueues: readonly RpcQueueModel[];
  /** One rule + queue per listener of this service. */
  readonly listeners: readonly ListenerModel[];
  /** One schedule rule per scheduled task of this service. */
  readonly tasks: readonly TaskModel[];
  /** One SNS topic per registered API whose events travel over SNS (`transports.event: sns`). */
  readonly topics: readonly TopicModel[];
  /** What this service's worker needs beyond its own queues. */
  readonly permissions: PermissionsModel;
}

export interface TaskModel {
  readonly taskName: string;
  /** `<bus>-<service>-task-<taskName>`, fitted to 64 characters; the rule lives on the default event bus. */
  readonly ruleName: string;
  /** EventBridge's `rate(...)` or `cron(...)`, canonical form. */
  readonly scheduleExpression: string;
  /**
   * False for rates of seconds (`every({ seconds: 30 })`): only the local worker runs those, as
   * EventBridge rules fire at most once a minute.
   */
  readonly runsOnEventBridge: boolean;
}

export interface ResultsTableModel {
  readonly name: string;
  readonly partitionKey: typeof ResultAttributes.PartitionKey;
  readonly timeToLiveAttribute: typeof ResultAttributes.ExpiresAt;
}

export interface PayloadBucketModel {
  /**
   * `<bus>-payloads` made S3-safe; the bucket is `<prefix>-<account>-<region>` (payloadBucketName),
   * the account and region being the deployment's.
   */
  readonly namePrefix: string;
  /**
   * Days after which the lifecycle rule deletes a payload. Payloads matter only while their
   * message is in flight (a call's deadline, a listener's retries, a result's reading).
   */
  readonly expireAfterDays: number;
  /** What this service puts and gets, as key patterns (`<api>/<kind>/<uuid>`, runtime/payloads/keys.ts). */
  readonly access: PayloadAccessModel;
}

/** Key patterns a role may put and get. */
export interface PayloadRights {
  readonly put: readonly string[];
  readonly get: readonly string[];
}

/**
 * A service's payload rights, per API: it puts what it sends and gets what it receives. As a
 * worker: results of the APIs it serves (and their calls' parameters), events of the APIs it fires
 * and of those it listens to. As a caller: parameters and results of the APIs it calls (a
 * results item that names a result's key is readable by its caller scope only).
 */
export interface PayloadAccessModel {
  readonly worker: PayloadRights;
  readonly caller: PayloadRights;
}

/** The lifecycle rule's default: a payload outlives its message by far, and no more than that. */
export const DEFAULT_PAYLOAD_EXPIRY_DAYS = 1;

export interface QueueModel {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly visibilityTimeoutSeconds: number;
  /**
   * Receives after which SQS itself moves a message to the dead-letter queue. The dispatcher
   * dead-letters explicitly one receive earlier (with the cause attached); this is the net for
   * workers that crash mid-message. On a FIFO queue a message is also received, and not run, each
   * time it is held back behind a failing message of its group, so there the dispatcher counts the
   * runs itself and this is only a far safety bound ({@link fifoRedriveMaxReceiveCount}).
   */
  readonly redriveMaxReceiveCount: number;
  /** How long the DLQ keeps messages for inspection and redrive. */
  readonly deadLetterRetentionSeconds: number;
  /** A FIFO queue (an ordered listener's), with a FIFO dead-letter queue. @default false */
  readonly fifo?: boolean;
}

export interface RpcQueueModel extends QueueModel {
  readonly api: string;
}

export interface ListenedEvent {
  readonly api: string;
  readonly event: string;
}

export interface ListenerModel extends QueueModel {
  readonly listenerName: string;
  readonly ruleName: string;
  readonly events: readonly ListenedEvent[];
  /**
   * Whether the listener takes events of an API on EventBridge: only then does it get its rule,
   * and {@link eventPattern} names only those events.
   */
  readonly onEventBridge: boolean;
  /** One subscription per API on SNS among its events (its queue subscribes to that API's topic). */
  readonly subscriptions: readonly TopicSubscriptionModel[];
  /** The EventBridge pattern of the rule, as an object (JSON.stringify it for the API). */
  readonly eventPattern: { readonly source: readonly string[]; readonly 'detail-type': readonly string[] };
  /** Receives before the dispatcher moves a failing message to the DLQ. */
  readonly maxReceives: number;
  /** An exactly-once listener: its worker writes `dedupe#<service>#<listener>#...` records in the results table. */
  readonly exactlyOnce: boolean;
  /**
   * An ordered listener (`listen(..., { ordered: { by } })`): its queue is FIFO, and takes each
   * message group (one per value of `by`) in order, one message of a group at a time.
   */
  readonly ordered?: { readonly by: string };
}

export interface PermissionsModel {
  /** EventBridge sources this service may fire (its registered APIs whose events travel over EventBridge). */
  readonly fireSources: readonly string[];
  /** SNS topics this service may publish to (its registered APIs whose events travel over SNS). */
  readonly publishTopics: readonly string[];
  /** APIs this service knows but does not serve: it may call them. */
  readonly callsApis: readonly string[];
}

/** What the topology is derived from: a bus module's declarations. */
export interface TopologyInput {
  readonly busName: string;
  /** Overrides the conventional event bus name (a deployment's LIGHTBUS_EVENT_BUS_NAME). */
  readonly eventBusName?: string;
  /** Overrides the conventional results table name (a deployment's LIGHTBUS_RESULTS_TABLE). */
  readonly resultsTableName?: string;
  readonly serviceName: string | undefined;
  /** APIs this service registered an implementation for (it may fire their events). */
  readonly registeredApis: readonly string[];
  /**
   * The registered APIs that declare procedures: only these get a request queue (an API of
   * events only needs no queue, and so no worker).
   * @default registeredApis
   */
  readonly servedApis?: readonly string[];
  /** APIs this service knows the definition of (registered or not). */
  readonly knownApis: readonly string[];
  readonly listeners: readonly {
    readonly listenerName: string;
    readonly events: readonly ListenedEvent[];
    readonly maxReceives: number;
    readonly visibilityTimeoutSeconds: number;
    /** @default false */
    readonly exactlyOnce?: boolean;
    /** @default not ordered */
    readonly ordered?: { readonly by: string };
  }[];
  readonly rpcVisibilityTimeoutSeconds?: number;
  /** Days the payload bucket keeps a payload. @default DEFAULT_PAYLOAD_EXPIRY_DAYS */
  readonly payloadExpiryDays?: number;
  /** Scheduled tasks of this service. @default none */
  readonly tasks?: readonly { readonly taskName: string; readonly scheduleExpression: string }[];
  /** Each API's event transport (`apis.<api>.transports.event`). @default EventBridge for every API */
  readonly eventTransports?: Readonly<Record<string, EventTransportName>>;
}

const FOURTEEN_DAYS = 14 * 24 * 3600;
const DEFAULT_RPC_VISIBILITY_SECONDS = 30;

/** Bus names prefix every resource name; kept short so derived names stay readable and valid. */
export const MAX_BUS_NAME_LENGTH = 40;

export function assertResourceNamePart(what: string, value: string): void {
  if (what === 'bus name' && value.length > MAX_BUS_NAME_LENGTH) {
    throw new ConfigurationError(
      `Invalid bus name "${value}": it prefixes every resource name, so it may have at most ${MAX_BUS_NAME_LENGTH} characters; it has ${value.length}.`,
      { busName: value },
    );
  }
  if (!RESOURCE_NAME_PART.test(value)) {
    throw new ConfigurationError(
      `Invalid ${what} "${value}": it becomes part of AWS resource names, so it must match ${RESOURCE_NAME_PART} ` +
        '(letters, digits, "-" and "_", starting with a letter or digit).',
      { [what]: value },
    );
  }
}

/** Derives every resource a service needs from its bus module's declarations. */
export function deriveTopology(input: TopologyInput): Topology {
  assertResourceNamePart('bus name', input.busName);
  if (input.listeners.length > 0 || (input.tasks?.length ?? 0) > 0) {
    if (input.serviceName === undefined) {
      throw new ConfigurationError(
        'This bus has listeners or tasks but no service name: listener queues and task rules are named after the service. ' +
          'Pass lightbus.create({ serviceName }) or set LIGHTBUS_SERVICE_NAME.',
      );
    }
    assertResourceNamePart('service name', input.serviceName);
  }
  const busName = input.busName;
  const rpcVisibility = input.rpcVisibilityTimeoutSeconds ?? DEFAULT_RPC_VISIBILITY_SECONDS;
  const rpcQueues = [...(input.servedApis ?? input.registeredApis)].sort().map((api): RpcQueueModel => {
    const queueName = rpcQueueName(busName, api);
    return {
      api,
      queueName,
      deadLetterQueueName: deadLetterQueueName(queueName),
      visibilityTimeoutSeconds: rpcVisibility,
      redriveMaxReceiveCount: 3,
      deadLetterRetentionSeconds: FOURTEEN_DAYS,
    };
  });
  const listeners = [...input.listeners]
    .sort((a, b) => a.listenerName.localeCompare(b.listenerName))
    .map((listener): ListenerModel => {
      const service = input.serviceName as string;
      const queueName = listener.ordered
        ? orderedListenerQueueName(busName, service, listener.listenerName)
        : listenerQueueName(busName, service, listener.listenerName);
      const events = dedupeEvents(listener.events);
      const onBus = events.filter((e) => eventTransportOf(input.eventTransports, e.api) === 'eventbridge');
      return {
        listenerName: listener.listenerName,
        queueName,
        deadLetterQueueName: deadLetterQueueName(queueName),
        ruleName: listenerRuleName(busName, service, listener.listenerName),
        events,
        onEventBridge: onBus.length > 0,
        subscriptions: subscriptionsOf(busName, events, input.eventTransports),
        eventPattern: {
          source: unique(onBus.map((e) => eventSource(e.api))),
          'detail-type': unique(onBus.map((e) => eventDetailType(e.api, e.event))),
        },
        maxReceives: listener.maxReceives,
        exactlyOnce: listener.exactlyOnce ?? false,
        ...(listener.ordered ? { ordered: { by: listener.ordered.by }, fifo: true } : {}),
        visibilityTimeoutSeconds: listener.visibilityTimeoutSeconds,
        redriveMaxReceiveCount: listener.ordered ? fifoRedriveMaxReceiveCount(listener.maxReceives) : listener.maxReceives + 1,
        deadLetterRetentionSeconds: FOURTEEN_DAYS,
      };
    });
  const tasks = [...(input.tasks ?? [])]
    .sort((a, b) => a.taskName.localeCompare(b.taskName))
    .map((task): TaskModel => {
      const schedule = parseScheduleExpression(task.scheduleExpression, `task ${task.taskName}`);
      return {
        taskName: task.taskName,
        ruleName: taskRuleName(busName, input.serviceName as string, task.taskName),
        scheduleExpression: schedule.expression,
        runsOnEventBridge: runsOnEventBridge(schedule),
      };
    });
  const registered = new Set(input.registeredApis);
  const topics = topicsOf(busName, input.registeredApis, input.eventTransports);
  const onSns = new Set(topics.map((t) => t.api));
  const callsApis = input.knownApis.filter((api) => !registered.has(api)).sort();
  const payloadBucket: PayloadBucketModel = {
    namePrefix: payloadBucketPrefix(busName),
    expireAfterDays: input.payloadExpiryDays ?? DEFAULT_PAYLOAD_EXPIRY_DAYS,
    access: payloadAccess({
      calls: callsApis,
      fires: [...registered].sort(),
      serves: rpcQueues.map((q) => q.api),
      listensTo: unique(listeners.flatMap((l) => l.events.map((e) => e.api))).sort(),
    }),
  };
  return {
    busName,
    serviceName: input.serviceName,
    eventBus: { name: input.eventBusName ?? eventBusName(busName) },
    resultsTable: {
      name: input.resultsTableName ?? resultsTableName(busName),
      partitionKey: ResultAttributes.PartitionKey,
      timeToLiveAttribute: ResultAttributes.ExpiresAt,
    },
    payloadBucket,
    rpcQueues,
    listeners,
    tasks,
    topics,
    permissions: {
      fireSources: [...registered].filter((api) => !onSns.has(api)).sort().map(eventSource),
      publishTopics: topics.map((t) => t.topicName),
      callsApis,
    },
  };
}

/** SQS's largest `maxReceiveCount`. */
const SQS_MAX_RECEIVE_COUNT = 1000;

/**
 * The redrive bound of an ordered listener's FIFO queue. SQS FIFO hands out up to 10 messages of a
 * group together, and every time an earlier one of them fails the later ones are received and given
 * back unrun: a message can be received up to 10 × maxReceives times before its own last run. The
 * dispatcher counts real runs (fifo-attempts.ts) and dead-letters with the cause after maxReceives
 * failed ones; SQS's redrive must never move a message first (it would skip it, without its cause,
 * and let its group's next message run ahead), so it is set well past that: max(100, 20 ×
 * maxReceives), at most SQS's 1000. It stays as the net for a message that crashes its worker.
 */
export function fifoRedriveMaxReceiveCount(maxReceives: number): number {
  return Math.min(SQS_MAX_RECEIVE_COUNT, Math.max(100, 20 * maxReceives));
}

/** Every queue of the topology with the role it plays, for routing a received message. */
export type QueueRole =
  | { readonly kind: 'rpc'; readonly model: RpcQueueModel }
  | { readonly kind: 'listener'; readonly model: ListenerModel };

export function queueRoles(topology: Topology): Map<string, QueueRole> {
  const roles = new Map<string, QueueRole>();
  for (const model of topology.rpcQueues) roles.set(model.queueName, { kind: 'rpc', model });
  for (const model of topology.listeners) roles.set(model.queueName, { kind: 'listener', model });
  return roles;
}

/** Key patterns per API and kind (`<api>/<kind>/<uuid>`, runtime/payloads/keys.ts). */
function payloadAccess(apis: { calls: readonly string[]; fires: readonly string[]; serves: readonly string[]; listensTo: readonly string[] }): PayloadAccessModel {
  const keys = (list: readonly string[], kind: PayloadKind) => list.map((api) => payloadKeyPattern(api, kind));
  const { Call, Event, Result } = PayloadKind;
  return {
    worker: { put: [...keys(apis.fires, Event), ...keys(apis.serves, Result)], get: [...keys(apis.serves, Call), ...keys(apis.listensTo, Event)] },
    caller: { put: keys(apis.calls, Call), get: keys(apis.calls, Result) },
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function dedupeEvents(events: readonly ListenedEvent[]): ListenedEvent[] {
  const seen = new Map<string, ListenedEvent>();
  for (const e of events) seen.set(`${e.api}.${e.event}`, { api: e.api, event: e.event });
  return [...seen.values()];
}
