import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResultAttributes } from '../runtime/messages';
import type { ListenerModel, Topology } from '../runtime/topology';
import { ANONYMOUS_CALLER_SCOPE, KeyPatterns } from '../runtime/topology';
import { indexEntriesOf, WORKER_STATE_API } from '../runtime/worker-state';
import { PayloadKind, payloadKeyPattern } from '../runtime/payloads';
import type { ILightbusBus } from './lightbus-bus';
import { grantPublishTopics } from './service-topics';

/** What a worker (a function, or a container running `lightbus run`) does with the results table. */
export interface WorkerTableUse {
  /** It serves RPCs: it claims calls (batched: PartiQLInsert) and writes results (batched: PartiQLUpdate). */
  readonly servesRpc: boolean;
  /** It runs scheduled tasks: it writes its service's task run records (UpdateItem on `task#<service>#*` keys). */
  readonly runsTasks: boolean;
  /**
   * The listeners it runs: it reads the large parameters of their events.
   * @default every listener of the topology
   */
  readonly listeners?: readonly ListenerModel[];
}

/**
 * What a worker may do beyond its own queues: write call claims and results (only if it serves
 * RPCs: keys without `#`), its service's task run records (only if it runs tasks:
 * `task#<service>#*`), and fire the events of the APIs its module registers. A listener writes
 * nothing to the table. Call rights are granted at synthesis ({@link grantCalls}), once every service
 * of the app is known.
 */
export function grantWorkerAccess(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, use: WorkerTableUse): void {
  if (use.servesRpc) bus.grantWriteResults(grantee, { batchedClaims: true, batchedResults: true });
  // deriveTopology refuses tasks without a service name, so a service that runs tasks has one.
  if (use.runsTasks && topology.serviceName !== undefined) bus.grantRunTasks(grantee, topology.serviceName);
  bus.grantPayloads(grantee, workerPayloadRights(topology, use));
  if (topology.permissions.fireSources.length > 0) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [bus.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': [...topology.permissions.fireSources] } },
    });
  }
  // APIs on SNS: publish to their topics only.
  grantPublishTopics(bus.eventBus, topology, grantee);
}

/**
 * A worker's payload rights, per API (runtime/payloads/keys.ts): it puts the events of the APIs it
 * fires and, if it serves RPCs, their results; it gets the parameters of the calls it serves and of
 * the events its listeners handle. Its own calls' payloads come with grantCall.
 */
function workerPayloadRights(topology: Topology, use: WorkerTableUse): { put: string[]; get: string[] } {
  const served = use.servesRpc ? topology.rpcQueues.map((q) => q.api) : [];
  const fired = topology.permissions.fireSources.map(apiOfEventSource);
  const listened = [...new Set((use.listeners ?? topology.listeners).flatMap((l) => l.events.map((e) => e.api)))];
  return {
    put: [...fired.map((api) => payloadKeyPattern(api, PayloadKind.Event)), ...served.map((api) => payloadKeyPattern(api, PayloadKind.Result))],
    get: [...served.map((api) => payloadKeyPattern(api, PayloadKind.Call)), ...listened.map((api) => payloadKeyPattern(api, PayloadKind.Event))],
  };
}

/**
 * Lets `grantee` keep the records of the exactly-once listeners it runs (`listen({ exactlyOnce })`):
 * PutItem (claim), UpdateItem (done) and DeleteItem (release) on the keys
 * `dedupe#<service>#<listener>#*` of those listeners only. Nothing for a function without one. No `Null`
 * condition: PutItem, UpdateItem and DeleteItem always carry their key on AWS (see
 * KEYS_PRESENT in lightbus-bus.ts for why it is left out of the item grants).
 */
export function grantExactlyOnceRecords(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, listeners: readonly ListenerModel[]): void {
  grantOrderedAttempts(bus, topology, grantee, listeners);
  const exactlyOnce = listeners.filter((l) => l.exactlyOnce);
  if (exactlyOnce.length === 0) return;
  // A module with listeners always names its service (deriveTopology refuses it otherwise); an empty
  // name would be refused by the key module, never turned into a pattern.
  const keys = exactlyOnce.map((l) => KeyPatterns.dedupeRecordsOf(topology.serviceName ?? '', l.listenerName));
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys.sort() } },
  });
}

/**
 * Lets `grantee` count the failed runs of the ordered listeners it runs (runtime/dispatch/fifo-attempts.ts):
 * UpdateItem on the keys `attempts#<service>#<listener>#*` of those listeners only. Nothing for a
 * function without one. Called by {@link grantExactlyOnceRecords}, which every listener function gets.
 */
function grantOrderedAttempts(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, listeners: readonly ListenerModel[]): void {
  const ordered = listeners.filter((l) => l.fifo === true);
  if (ordered.length === 0) return;
  const keys = ordered.map((l) => KeyPatterns.attemptsOf(topology.serviceName ?? '', l.listenerName));
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys.sort() } },
  });
}

/**
 * Lets `grantee` report its service's worker state (runtime/worker-state; docs/wire-format.md,
 * "Worker state"): PutItem on its own service's items `worker#<service>#*` only; GetItem on the one
 * index item `workers#index` (every worker may read who serves what); UpdateItem on that item
 * touching only its own service's entries `<service>#*` (set at each report, its expired ones
 * removed at start), so no service can overwrite or remove another's; PutEvents of source
 * `lightbus.lightbus.state` only.
 */
export function grantWorkerState(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable): void {
  // The runtime reports a module without a service name as `anon` (describeWorker).
  const service = topology.serviceName ?? ANONYMOUS_CALLER_SCOPE;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:PutItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [KeyPatterns.workersOf(service)] } },
  });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:GetItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [KeyPatterns.workerIndex] } },
  });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [KeyPatterns.workerIndex] },
      // The attributes a request names (UpdateExpression, through ExpressionAttributeNames) and
      // returns: the key attribute, which AWS requires in the list, and the service's own entries.
      'ForAllValues:StringLike': { 'dynamodb:Attributes': [ResultAttributes.PartitionKey, indexEntriesOf(service)] },
      // Nothing returned beyond the updated (own) entries: no ALL_OLD/ALL_NEW copy of the others.
      StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
    },
  });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['events:PutEvents'],
    resourceArns: [bus.eventBus.eventBusArn],
    conditions: { StringEquals: { 'events:source': [`lightbus.${WORKER_STATE_API}`] } },
  });
}

/**
 * Lets `grantee` call `apis` as `callerScope` (the service's own): send to their request queues and
 * read its own calls' results ({@link ILightbusBus.grantCall}).
 */
export function grantCalls(bus: ILightbusBus, grantee: iam.IGrantable, apis: readonly string[], callerScope: string): void {
  for (const api of apis) bus.grantCall(grantee, api, { callerScope });
}

/** `https://sqs.<region>.amazonaws.com/<account>/` from one of the stack's queue URLs (right on AWS and on an emulator alike). */
export function queueUrlPrefix(queue: sqs.Queue): string {
  const name = (queue.node.defaultChild as sqs.CfnQueue).queueName as string;
  return Fn.select(0, Fn.split(name, queue.queueUrl));
}

/** `lightbus.support.case` → `support.case` (see eventSource() in the wire format). */
export function apiOfEventSource(source: string): string {
  return source.slice('lightbus.'.length);
}
