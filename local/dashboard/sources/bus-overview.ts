import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeEventBusCommand, ListRulesCommand, ListTargetsByRuleCommand, type Rule } from '@aws-sdk/client-eventbridge';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { parseSchemaItem, SCHEMA_ITEM_KIND, type ApiSchema } from '../../../runtime/schema';
import { OWNER_RECORD_KIND, OwnerAttributes } from '../../../runtime/ownership';
import { DEAD_LETTER_SUFFIX, listenerQueueName, orderedListenerQueueName, type EventTransportName } from '../../../runtime/topology';
import type { AwsClients } from '../../../runtime/transport';
import { isWorkerStale } from '../../../runtime';
import { listTopicListeners, type TopicSubscriptionListener } from './topic-listeners';
import type { WorkerState } from './worker-states';

/**
 * A listener on the bus, from its EventBridge rule or its queue's subscription to an API's SNS
 * topic, and (where known) the worker that runs it. A listener of APIs on both transports has a
 * view for its rule and one per subscription.
 */
export interface ListenerView {
  /** The EventBridge rule; for a subscription, the topic's name. */
  readonly rule: string;
  /** How its events reach its queue: a rule on the event bus, or a subscription to an SNS (FIFO) topic. */
  readonly transport: EventTransportName;
  /** The SNS topic, for a subscription. */
  readonly topic?: string;
  /** `api.event` names its rule (or subscription's filter policy) matches. */
  readonly events: readonly string[];
  readonly queue?: string;
  readonly service?: string;
  readonly listener?: string;
}

export interface ApiView {
  readonly name: string;
  /** The owning service (its owner record), if recorded. */
  readonly owner?: string;
  readonly ownerClaimedBy?: string;
  /** The published schema, if any: procedures and events with their JSON Schemas. */
  readonly schema?: ApiSchema;
  readonly schemaPublishedBy?: string;
  /** A request queue exists: some service serves its procedures. */
  readonly hasRequestQueue: boolean;
  /** Workers (by service) that serve it, from worker state. */
  readonly servedBy: readonly string[];
}

export interface BusOverview {
  readonly busName: string;
  readonly eventBusName: string;
  readonly resultsTable: string;
  readonly apis: readonly ApiView[];
  readonly listeners: readonly ListenerView[];
  readonly workers: readonly WorkerState[];
  /** Dead-letter queue names of the bus. */
  readonly deadLetterQueues: readonly string[];
  /** True when nothing is on the bus yet: no API, listener or worker. */
  readonly empty: boolean;
  readonly readAt: number;
}

export interface OverviewInput {
  readonly clients: AwsClients;
  readonly busName: string;
  readonly eventBusName: string;
  readonly resultsTable: string;
  readonly workers: readonly WorkerState[];
  /** APIs known from a bus module given with --bus (listed even before anything is published). */
  readonly knownApis?: readonly string[];
}

/** How many Scan pages of the results table to read for schema and owner records. */
const MAX_SCAN_PAGES = 50;

/**
 * Reads what is on a bus: its APIs (owner and schema records in the results table, request
 * queues), its listeners (the rules on its event bus), its dead-letter queues and its workers.
 * Throws the AWS error when the bus cannot be read (see problems.ts for how the page says so).
 */
export async function readBusOverview(input: OverviewInput): Promise<BusOverview> {
  const { clients, busName, eventBusName, resultsTable } = input;
  // The event bus first: its absence is the clearest "nothing here" (and a ResourceNotFoundException).
  await clients.eventBridge.send(new DescribeEventBusCommand({ Name: eventBusName }));
  const [records, rules, queues, subscriptions] = await Promise.all([
    scanRecords(clients, resultsTable),
    listRules(clients, busName, eventBusName),
    listQueues(clients, `${busName}-`),
    listTopicListeners(clients, busName),
  ]);
  const rpcPrefix = `${busName}-rpc-`;
  const requestQueueSlugs = new Set(queues.filter((q) => q.startsWith(rpcPrefix) && !q.endsWith(DEAD_LETTER_SUFFIX)).map((q) => q.slice(rpcPrefix.length)));
  const names = new Set<string>([...(input.knownApis ?? []), ...records.owners.keys(), ...records.schemas.keys()]);
  for (const worker of input.workers) for (const api of worker.apis) names.add(api);
  const apis = [...names].sort().map((name): ApiView => {
    const owner = records.owners.get(name);
    const schema = records.schemas.get(name);
    return {
      name,
      ...(owner ? { owner: owner.owner, ownerClaimedBy: owner.claimedBy } : {}),
      ...(schema ? { schema: schema.schema, schemaPublishedBy: schema.publishedBy } : {}),
      hasRequestQueue: requestQueueSlugs.has(name.replace(/\./g, '-')),
      // A stopping or silent worker no longer serves anything, whatever its last report said.
      servedBy: [...new Set(input.workers.filter((w) => w.apis.includes(name) && isServing(w)).map((w) => w.service))].sort(),
    };
  });
  const listeners = [
    ...rules.map((rule) => describeListener(rule, busName, input.workers)),
    ...subscriptions.map((subscription) => describeSubscriber(subscription, busName, input.workers)),
  ];
  return {
    busName,
    eventBusName,
    resultsTable,
    apis,
    listeners,
    workers: input.workers,
    deadLetterQueues: queues.filter((q) => q.endsWith(DEAD_LETTER_SUFFIX)).sort(),
    empty: apis.length === 0 && listeners.length === 0 && input.workers.length === 0,
    readAt: Date.now(),
  };
}

interface Records {
  readonly owners: Map<string, { owner: string; claimedBy?: string }>;
  readonly schemas: Map<string, { schema: ApiSchema; publishedBy: string }>;
}

/** Owner and schema records: a filtered Scan (the table has no index by kind), bounded in pages. */
async function scanRecords(clients: AwsClients, table: string): Promise<Records> {
  const owners: Records['owners'] = new Map();
  const schemas: Records['schemas'] = new Map();
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < MAX_SCAN_PAGES; page += 1) {
    const out = await clients.dynamoDb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#kind IN (:owner, :schema)',
        ExpressionAttributeNames: { '#kind': 'kind' },
        ExpressionAttributeValues: { ':owner': { S: OWNER_RECORD_KIND }, ':schema': { S: SCHEMA_ITEM_KIND } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      if (item.kind?.S === OWNER_RECORD_KIND) {
        const api = item[OwnerAttributes.Api]?.S;
        const owner = item[OwnerAttributes.Owner]?.S;
        const claimedBy = item[OwnerAttributes.ClaimedBy]?.S;
        if (api && owner) owners.set(api, { owner, ...(claimedBy ? { claimedBy } : {}) });
      } else {
        const parsed = parseSchemaItem(item);
        if (parsed.ok) schemas.set(parsed.stored.schema.api, { schema: parsed.stored.schema, publishedBy: parsed.stored.publishedBy });
      }
    }
    start = out.LastEvaluatedKey;
    if (start === undefined) break;
  }
  return { owners, schemas };
}

/** The bus's listener rules (not the temporary ones of inspect and the dashboard), with their targets. */
async function listRules(clients: AwsClients, busName: string, eventBusName: string): Promise<{ rule: Rule; queue?: string }[]> {
  const rules: Rule[] = [];
  let token: string | undefined;
  do {
    const out = await clients.eventBridge.send(new ListRulesCommand({ EventBusName: eventBusName, NamePrefix: `${busName}-`, ...(token ? { NextToken: token } : {}) }));
    rules.push(...(out.Rules ?? []));
    token = out.NextToken;
  } while (token);
  const listenerRules = rules.filter((rule) => rule.Name !== undefined && !/-(inspect|dashboard)-[0-9a-f]{8}$/.test(rule.Name));
  return Promise.all(
    listenerRules.map(async (rule) => {
      const targets = await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: eventBusName })).catch(() => undefined);
      const arn = targets?.Targets?.find((t) => t.Arn?.startsWith('arn:aws:sqs:'))?.Arn;
      return { rule, ...(arn ? { queue: arn.slice(arn.lastIndexOf(':') + 1) } : {}) };
    }),
  );
}

function describeListener({ rule, queue }: { rule: Rule; queue?: string }, busName: string, workers: readonly WorkerState[]): ListenerView {
  const events = eventsOfPattern(rule.EventPattern);
  const name = rule.Name as string;
  // Rule names are `<bus>-<service>-<listener>`: a worker's state says where one ends.
  for (const worker of workers) {
    for (const l of worker.listeners) {
      if (name === `${busName}-${worker.service}-${l.listener}`) {
        return { rule: name, transport: 'eventbridge', events, ...(queue ? { queue } : {}), service: worker.service, listener: l.listener };
      }
    }
  }
  const listenPrefix = `${busName}-listen-`;
  const guess = queue?.startsWith(listenPrefix) ? queue.slice(listenPrefix.length) : name.slice(busName.length + 1);
  const dash = guess.indexOf('-');
  return {
    rule: name,
    transport: 'eventbridge',
    events,
    ...(queue ? { queue } : {}),
    ...(dash > 0 ? { service: guess.slice(0, dash), listener: guess.slice(dash + 1) } : {}),
  };
}

/** A listener fed by a topic subscription: its queue `<bus>-listen-<service>-<listener>[.fifo]` names it (worker state says where the service ends). */
function describeSubscriber(subscription: TopicSubscriptionListener, busName: string, workers: readonly WorkerState[]): ListenerView {
  const { topic, transport, queue, events } = subscription;
  const base = { rule: topic, transport, topic, events, queue };
  for (const worker of workers) {
    for (const l of worker.listeners) {
      if (queue === listenerQueueName(busName, worker.service, l.listener) || queue === orderedListenerQueueName(busName, worker.service, l.listener)) {
        return { ...base, service: worker.service, listener: l.listener };
      }
    }
  }
  const guess = queue.slice(`${busName}-listen-`.length).replace(/\.fifo$/, '');
  const dash = guess.indexOf('-');
  return { ...base, ...(dash > 0 ? { service: guess.slice(0, dash), listener: guess.slice(dash + 1) } : {}) };
}

/** `api.event` names from a listener rule's pattern (`detail-type` lists them). */
export function eventsOfPattern(pattern: string | undefined): string[] {
  if (pattern === undefined) return [];
  try {
    const parsed = JSON.parse(pattern) as { 'detail-type'?: unknown };
    const types = parsed['detail-type'];
    return Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

async function listQueues(clients: AwsClients, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const out = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
    for (const url of out.QueueUrls ?? []) names.push(url.slice(url.lastIndexOf('/') + 1));
    token = out.NextToken;
  } while (token);
  return names;
}

function isServing(worker: WorkerState): boolean {
  return worker.status === 'running' && !isWorkerStale(worker);
}
