import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { busFromModule, type BusClient } from '../runtime/client';
import { LightbusError } from '../runtime/errors';
import { isTaskInvocation, type TaskInvocation } from '../runtime/tasks';
import { createSqsHandler, type SqsHandlerOptions } from './sqs-handler';
import { createTaskHandler, type TaskHandlerOptions, type TaskInvocationResult } from './task-handler';

export type WorkerHandlerOptions = SqsHandlerOptions & TaskHandlerOptions;

/** The worker function's handler: SQS batches from its queues, and scheduled task invocations from its rules. */
export interface WorkerHandler {
  (event: SQSEvent, context?: Partial<Context>): Promise<SQSBatchResponse>;
  (event: TaskInvocation, context?: Partial<Context>): Promise<TaskInvocationResult>;
}

/** Thrown when the worker function is invoked with neither an SQS event nor a scheduled task invocation. */
export class UnknownInvocationError extends LightbusError {
  public constructor(given: unknown) {
    const shape = given === null || typeof given !== 'object' ? typeof given : `object with keys ${Object.keys(given).join(', ') || '(none)'}`;
    super(
      'UNKNOWN_INVOCATION',
      'The lightbus worker function expects an SQS event ({ Records: [{ eventSource: "aws:sqs", ... }] }) or a scheduled task ' +
        `invocation ({ "kind": "lightbus.task", ... }); got ${shape}.`,
      { given: shape },
    );
  }
}

/**
 * The worker function's handler for a bus: routes by the event's shape — `Records` to the SQS
 * handler, `kind: "lightbus.task"` to the scheduled task handler.
 */
export function createBusWorkerHandler(bus: BusClient, options: WorkerHandlerOptions = {}): WorkerHandler {
  const sqs = createSqsHandler(bus, options);
  const tasks = createTaskHandler(bus, options);
  const handler = async (event: unknown, context?: Partial<Context>): Promise<SQSBatchResponse | TaskInvocationResult> => {
    if (isTaskInvocation(event)) return tasks(event as TaskInvocation, context);
    if (typeof event === 'object' && event !== null && 'Records' in event) return sqs(event as SQSEvent, context);
    throw new UnknownInvocationError(event);
  };
  return handler as WorkerHandler;
}

/**
 * The handler `LightbusService` bundles: given the bus module's namespace, finds its `bus` export
 * and returns the worker handler for it. The bundle's entry is, in effect:
 *
 * @example
 * import * as busModule from './bus';
 * export const handler = createWorkerHandler(busModule);
 */
export function createWorkerHandler(busModule: Readonly<Record<string, unknown>>, options: WorkerHandlerOptions = {}): WorkerHandler {
  return createBusWorkerHandler(busFromModule(busModule, process.env.LIGHTBUS_MODULE ?? 'the bus module'), options);
}
