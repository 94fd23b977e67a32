import type { CloudFormationCustomResourceEvent, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { busFromModule, type BusClient } from '../runtime/client';
import { WORKER_STATE_ENV } from '../runtime/config';
import { LightbusError } from '../runtime/errors';
import { isScheduledEvent, isTaskInvocation, taskInvocationFromScheduledEvent, type TaskInvocation } from '../runtime/tasks';
import { createSqsHandler, type SqsHandlerOptions } from './sqs-handler';
import { createTaskHandler, type TaskHandlerOptions, type TaskInvocationResult } from './task-handler';
import { createSchemaResourceHandler, isCustomResourceEvent, type SchemaResourceHandlerOptions, type SchemaResourceResponse } from './custom-resource';
import { lambdaStateReporter, type WorkerStateHandlerOptions } from './worker-state';

export type WorkerHandlerOptions = SqsHandlerOptions & TaskHandlerOptions & SchemaResourceHandlerOptions & WorkerStateHandlerOptions;

/** The worker function's handler: SQS batches from its queues, scheduled task invocations from its rules, and its deploy-time schema resource. */
export interface WorkerHandler {
  (event: SQSEvent, context?: Partial<Context>): Promise<SQSBatchResponse>;
  (event: TaskInvocation, context?: Partial<Context>): Promise<TaskInvocationResult>;
  /** EventBridge's "Scheduled Event" from one of the service's task rules. */
  (event: { source: 'aws.events'; 'detail-type': 'Scheduled Event'; time: string; resources: string[] }, context?: Partial<Context>): Promise<TaskInvocationResult>;
  /** The deploy-time schema resource (`Custom::LightbusSchemas`) whose service token is this function. */
  (event: CloudFormationCustomResourceEvent, context?: Partial<Context>): Promise<SchemaResourceResponse>;
}

/** Thrown when the worker function is invoked with none of: an SQS event, a scheduled task invocation, a custom-resource request. */
export class UnknownInvocationError extends LightbusError {
  public constructor(given: unknown) {
    const shape = given === null || typeof given !== 'object' ? typeof given : `object with keys ${Object.keys(given).join(', ') || '(none)'}`;
    super(
      'UNKNOWN_INVOCATION',
      'The lightbus worker function expects an SQS event ({ Records: [{ eventSource: "aws:sqs", ... }] }), a scheduled event ' +
        `from one of its task rules, a task invocation ({ "kind": "lightbus.task", ... }), or a CloudFormation custom-resource request (RequestType, ResponseURL, ...); got ${shape}.`,
      { given: shape },
    );
  }
}

/**
 * The worker function's handler for a bus: routes by the event's shape — `Records` to the SQS
 * handler, `kind: "lightbus.task"` to the scheduled task handler, a CloudFormation custom-resource
 * request (`RequestType`, `ResponseURL`, ...) to the deploy-time schema publisher (custom-resource.ts).
 * The SQS and task handlers flush events fired with buffered delivery before they return (see
 * each); the schema publisher fires none.
 */
export function createWorkerHandlerForBus(bus: BusClient, options: WorkerHandlerOptions = {}): WorkerHandler {
  const sqs = createSqsHandler(bus, options);
  const tasks = createTaskHandler(bus, options);
  const schemas = createSchemaResourceHandler(bus, options);
  // Off unless turned on (LightbusService's workerState): then a report on the first invocation and
  // at most one per heartbeat interval after, made while the invocation runs. Off, it costs nothing.
  const stateReporter = lambdaStateReporter(bus, options, process.env[WORKER_STATE_ENV]);
  let tasksByRuleName: Map<string, { taskName: string; scheduleExpression: string }> | undefined;
  const route = async (event: unknown, context?: Partial<Context>): Promise<SQSBatchResponse | TaskInvocationResult | SchemaResourceResponse> => {
    if (isTaskInvocation(event)) return tasks(event as TaskInvocation, context);
    if (isScheduledEvent(event)) {
      tasksByRuleName ??= new Map(bus.topology().tasks.map((t) => [t.ruleName, { taskName: t.taskName, scheduleExpression: t.scheduleExpression }]));
      return tasks(taskInvocationFromScheduledEvent(event, bus.settings.serviceName, tasksByRuleName), context);
    }
    if (isCustomResourceEvent(event)) return schemas(event, context);
    if (typeof event === 'object' && event !== null && 'Records' in event) return sqs(event as SQSEvent, context);
    throw new UnknownInvocationError(event);
  };
  const handler = async (event: unknown, context?: Partial<Context>): Promise<SQSBatchResponse | TaskInvocationResult | SchemaResourceResponse> => {
    // The deploy-time schema resource is no work of the worker's: it reports nothing.
    const report = stateReporter === undefined || isCustomResourceEvent(event) ? undefined : stateReporter().onInvocation();
    try {
      return await route(event, context);
    } finally {
      // Lambda freezes the process once the handler returns: the report must be done by then.
      await report;
    }
  };
  return handler as WorkerHandler;
}

/**
 * The handler `LightbusService` bundles: given the bus module's namespace (its exports), finds its
 * `bus` export and returns {@link createWorkerHandlerForBus} for it. The bundle's entry is, in effect:
 *
 * @example
 * import * as busModule from './bus';
 * export const handler = createWorkerHandlerForModule(busModule);
 */
export function createWorkerHandlerForModule(busModule: Readonly<Record<string, unknown>>, options: WorkerHandlerOptions = {}): WorkerHandler {
  return createWorkerHandlerForBus(busFromModule(busModule, process.env.LIGHTBUS_MODULE ?? 'the bus module'), options);
}

/** @deprecated Use {@link createWorkerHandlerForModule} (same function; the name says it takes a bus module's exports). */
export const createWorkerHandler = createWorkerHandlerForModule;

/** @deprecated Use {@link createWorkerHandlerForBus} (same function; the name says it takes a bus client). */
export const createBusWorkerHandler = createWorkerHandlerForBus;
