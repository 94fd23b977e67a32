/**
 * Lambda entry points for a bus module. Builds on `runtime/` only: nothing from `cdk/` or
 * `local/` (and so no aws-cdk-lib) may end up in a Lambda bundle.
 */
export { createSqsHandler, defaultMinRemainingMs, toInboundMessage, NotAnSqsEventError } from './sqs-handler';
export { queueNameFromArn } from '../runtime/transport';
export type { SqsHandlerOptions, SqsBatchHandler } from './sqs-handler';
export { busFromModule } from '../runtime/client';
export { createWorkerHandlerForModule, createWorkerHandlerForBus, UnknownInvocationError } from './worker-entry';
/** Deprecated aliases of createWorkerHandlerForModule and createWorkerHandlerForBus. */
export { createWorkerHandler, createBusWorkerHandler } from './worker-entry';
export type { WorkerHandler, WorkerHandlerOptions } from './worker-entry';
export type { WorkerStateHandlerOptions } from './worker-state';
export { createTaskHandler, TaskRunFailedError } from './task-handler';
export type { TaskHandlerOptions, TaskInvocationResult, ScheduledTaskHandler } from './task-handler';
export { createSchemaResourceHandler, isCustomResourceEvent } from './custom-resource';
export { SchemaResourceRequestError, SchemaItemWriteError, CustomResourceResponseError } from '../runtime/errors/deployment';
export type { SchemaResourceHandler, SchemaResourceHandlerOptions, SchemaResourceResponse } from './custom-resource';
