/**
 * lightbus-aws: the bus. Declare APIs, create a bus client, call RPCs, fire and listen to events.
 *
 * @example
 * import { lightbus, z } from 'lightbus-aws';
 * export const authApi = lightbus.api('auth', {
 *   rpcs: { checkPassword: lightbus.rpc({ parameters: { username: z.string(), password: z.string() }, response: z.boolean() }) },
 * });
 */
import { api, event, rpc } from './api';
import { create } from './client';
import { emf } from './metrics';

export { z } from 'zod';
export { api, event, rpc } from './api';
export type * from './api/types';
export { create, BusClient, splitMemberName } from './client';
export type {
  Bus,
  CreateOptions,
  CallOptions,
  FireOptions,
  FireMethod,
  SentEvent,
  ConfirmedSentEvent,
  BufferedSentEvent,
  ReceivedEvent,
  ListenerHandler,
  ListenOptions,
  ExactlyOnceOptions,
  OrderedOptions,
  RpcContext,
  ApiImplementation,
  ApiClient,
  EventClient,
  RpcMethod,
  EventReference,
} from './client';
export * from './errors';
export { PayloadNotStoredError, PayloadUnresolvableError, UnresolvableProblem } from './payloads';
export type { PayloadReference } from './payloads';
export { createLogger, silentLogger, currentTraceId } from './logging';
export type { Logger, LogLevel, LogFormat, LoggerOptions } from './logging';
export { deriveTopology } from './topology';
export type { Topology, ListenerModel, RpcQueueModel, TaskModel } from './topology';
export { TaskRunner, parseScheduleExpression, nextFireTime } from './tasks';
export type { TaskContext, TaskHandler, TaskOptions, TaskOutcome, EveryInterval, TaskInvocation } from './tasks';
export { bytes, apiSchema, schemaItems, toJsonSchema } from './schema';
export type { ApiSchema, RpcSchema, EventSchema, JsonSchema } from './schema';
export { Dispatcher, ExecutionTimeoutError } from './dispatch';
export { ApiOwnershipError } from './ownership';
export { readWorkerStates, readWorkerStatesFrom, isWorkerStale, WORKER_STATE_API, WorkerStateEvent } from './worker-state';
export type { WorkerState, WorkerListener, WorkerRuntime, WorkerStatus, ReadWorkerStatesOptions } from './worker-state';
export type { InboundMessage, DispatchOutcome } from './dispatch';
export { HookRegistry, HOOK_NAMES } from './hooks';
export type * from './hooks/types';
export { emf, EMF_METRICS, EMF_DIMENSIONS } from './metrics';
export type { EmfOptions, EmfUnit, EmfMetricName } from './metrics';

/**
 * The namespace most bus modules need: `lightbus.create`, `lightbus.api`, `lightbus.rpc`,
 * `lightbus.event`, and `lightbus.metrics.emf(bus)` (CloudWatch metrics from the bus's hooks).
 */
export const lightbus = { create, api, rpc, event, metrics: { emf } } as const;
