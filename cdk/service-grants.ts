import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { ListenerModel, Topology } from '../runtime/topology';
import { DEDUPE_KEY_PREFIX } from '../runtime/transport/dedupe-store';
import type { ILightbusBus } from './lightbus-bus';

/** What a worker (a function, or a container running `lightbus run`) does with the results table. */
export interface WorkerTableUse {
  /** It serves RPCs: it claims calls (batched: PartiQLInsert) and writes results. */
  readonly servesRpc: boolean;
  /** It runs scheduled tasks: it writes task run records (UpdateItem on `task#...` keys). */
  readonly runsTasks: boolean;
}

/**
 * What a worker may do beyond its own queues: write results and claims (only if it serves RPCs
 * or runs tasks; a listener writes nothing to the table), and fire the events of the APIs its
 * module registers. Call rights are granted at synthesis ({@link grantCalls}), once every service
 * of the app is known.
 */
export function grantWorkerAccess(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, use: WorkerTableUse): void {
  if (use.servesRpc || use.runsTasks) bus.grantWriteResults(grantee, { batchedClaims: use.servesRpc });
  if (topology.permissions.fireSources.length > 0) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [bus.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': [...topology.permissions.fireSources] } },
    });
  }
}

/**
 * Lets `grantee` keep the records of the exactly-once listeners it runs (`listen({ exactlyOnce })`):
 * PutItem (claim), UpdateItem (done) and DeleteItem (release) on the keys
 * `dedupe#<service>#<listener>#*` of those listeners only. Nothing for a function without one. The
 * `Null` condition fails closed should a request reach IAM without a key (where `ForAllValues`
 * would be vacuously true).
 */
export function grantExactlyOnceRecords(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, listeners: readonly ListenerModel[]): void {
  const keys = listeners.filter((l) => l.exactlyOnce).map((l) => `${DEDUPE_KEY_PREFIX}${topology.serviceName}#${l.listenerName}#*`);
  if (keys.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    resourceArns: [bus.resultsTable.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys.sort() }, Null: { 'dynamodb:LeadingKeys': 'false' } },
  });
}

/** Lets `grantee` call `apis`: send to their request queues and read results ({@link ILightbusBus.grantCall}). */
export function grantCalls(bus: ILightbusBus, grantee: iam.IGrantable, apis: readonly string[]): void {
  for (const api of apis) bus.grantCall(grantee, api);
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
