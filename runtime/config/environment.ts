/**
 * The environment-variable contract between a deployment and the bus clients it runs: which
 * variables a deployment (the CDK constructs, a container definition) sets, and which the runtime
 * reads to find a deployed bus. Both sides use these names, so neither re-types the literals.
 */

/** The environment variables through which a bus client finds a deployed bus. */
export const ClientEnvironment = {
  /** The bus name (resource names derive from it). Read by `resolveBusSettings()`. */
  BusName: 'LIGHTBUS_BUS_NAME',
  /** The service name of a worker. Read by `resolveBusSettings()`. */
  ServiceName: 'LIGHTBUS_SERVICE_NAME',
  /**
   * The caller scope that prefixes this client's call ids (`<scope>.<uuid>`); its IAM grant reads
   * only results under it. Set by `grantCall(fn, api, { callerScope })`. Read by `resolveBusSettings()`.
   */
  CallerScope: 'LIGHTBUS_CALLER_SCOPE',
  /** The EventBridge bus's name, when it is not the bus name. Read by the transports. */
  EventBusName: 'LIGHTBUS_EVENT_BUS_NAME',
  /** The results table's name, when it is not `<bus>-results`. Read by the transports. */
  ResultsTable: 'LIGHTBUS_RESULTS_TABLE',
  /**
   * The bus's payload bucket, when it is not `<bus>-payloads-<account>-<region>` or a client should
   * not look up the account. Read by runtime/payloads.
   */
  PayloadBucket: 'LIGHTBUS_PAYLOAD_BUCKET',
  /** `https://sqs.<region>.amazonaws.com/<account>/`: queue URLs without a GetQueueUrl call. Read by the queue locator. */
  QueueUrlPrefix: 'LIGHTBUS_QUEUE_URL_PREFIX',
  /** `arn:aws:sns:<region>:<account>:`: SNS topic ARNs (APIs on `transports.event: sns`) without a ListTopics call. Read by the topic locator. */
  TopicArnPrefix: 'LIGHTBUS_TOPIC_ARN_PREFIX',
} as const;

/** How often a worker reports its state: a duration (`30s`) or seconds. Read by `resolveBusSettings()` (bus settings' workerHeartbeatSeconds). */
export const WORKER_HEARTBEAT_ENV = 'LIGHTBUS_WORKER_HEARTBEAT';

/** `false` (or `off`, `0`) turns trace context off; `true` (`on`, `1`) on. Read by `resolveBusSettings()` (bus settings' traceContext). */
export const TRACE_CONTEXT_ENV = 'LIGHTBUS_TRACE_CONTEXT';

/**
 * `true` turns on worker-state reports in a Lambda worker (off there by default): set by
 * `LightbusService({ workerState: true })`, read by the worker handler (handlers/worker-entry.ts).
 */
export const WORKER_STATE_ENV = 'LIGHTBUS_WORKER_STATE';

/** One of the {@link ClientEnvironment} variable names. */
export type ClientEnvironmentVariable = (typeof ClientEnvironment)[keyof typeof ClientEnvironment];

/** Where a deployed bus is: the values {@link clientEnvironmentOf} turns into environment variables. */
export interface DeployedBusLocation {
  readonly busName: string;
  readonly eventBusName: string;
  readonly resultsTable: string;
  /**
   * The payload bucket's name.
   * @default - none (clients derive it: `<bus>-payloads-<account>-<region>`)
   */
  readonly payloadBucket?: string;
  /**
   * The service a worker runs as.
   * @default - none (a client that only calls and fires)
   */
  readonly serviceName?: string;
  /**
   * The caller scope of the client's call ids.
   * @default - none (the client uses its service name, else `anon`)
   */
  readonly callerScope?: string;
  /**
   * The prefix of the service's queue URLs.
   * @default - none (queue URLs are looked up by name)
   */
  readonly queueUrlPrefix?: string;
  /**
   * The prefix of SNS topic ARNs in the bus's account and region (`arn:aws:sns:<region>:<account>:`).
   * @default - none (topic ARNs are looked up by name)
   */
  readonly topicArnPrefix?: string;
}

/** The environment variables a bus client (or a worker, with its service and queues) needs to find a deployed bus. */
export function clientEnvironmentOf(location: DeployedBusLocation): Record<string, string> {
  return {
    [ClientEnvironment.BusName]: location.busName,
    [ClientEnvironment.EventBusName]: location.eventBusName,
    [ClientEnvironment.ResultsTable]: location.resultsTable,
    ...(location.payloadBucket !== undefined ? { [ClientEnvironment.PayloadBucket]: location.payloadBucket } : {}),
    ...(location.serviceName !== undefined ? { [ClientEnvironment.ServiceName]: location.serviceName } : {}),
    ...(location.callerScope !== undefined ? { [ClientEnvironment.CallerScope]: location.callerScope } : {}),
    ...(location.queueUrlPrefix !== undefined ? { [ClientEnvironment.QueueUrlPrefix]: location.queueUrlPrefix } : {}),
    ...(location.topicArnPrefix !== undefined ? { [ClientEnvironment.TopicArnPrefix]: location.topicArnPrefix } : {}),
  };
}
