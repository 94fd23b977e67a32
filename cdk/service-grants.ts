import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Topology } from '../runtime/topology';
import type { ILightbusBus } from './lightbus-bus';

/**
 * What every worker of a service may do: write results, call the APIs its module knows, and fire
 * the events of the APIs it registers. Only a grantee that serves RPCs claims calls, so only it
 * gets PartiQLInsert (batched claims).
 */
export function grantWorkerAccess(bus: ILightbusBus, topology: Topology, grantee: iam.IGrantable, servesRpc: boolean): void {
  bus.grantWriteResults(grantee, { batchedClaims: servesRpc });
  const callable = [...new Set([...topology.rpcQueues.map((q) => q.api), ...topology.permissions.callsApis])].sort();
  for (const api of callable) bus.grantCall(grantee, api);
  if (topology.permissions.fireSources.length > 0) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [bus.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': [...topology.permissions.fireSources] } },
    });
  }
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
