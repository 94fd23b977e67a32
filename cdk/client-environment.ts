/**
 * The environment variables through which a bus client finds a deployed bus
 * (read by runtime/client/transports.ts, runtime/config and runtime/transport/queue-locator.ts).
 */
export const ClientEnvironment = {
  BusName: 'LIGHTBUS_BUS_NAME',
  ServiceName: 'LIGHTBUS_SERVICE_NAME',
  EventBusName: 'LIGHTBUS_EVENT_BUS_NAME',
  ResultsTable: 'LIGHTBUS_RESULTS_TABLE',
  QueueUrlPrefix: 'LIGHTBUS_QUEUE_URL_PREFIX',
} as const;

/** Anything that takes environment variables, such as `lambda.Function`. */
export interface EnvironmentTarget {
  addEnvironment(key: string, value: string): unknown;
}

export function isEnvironmentTarget(value: unknown): value is EnvironmentTarget {
  return typeof (value as Partial<EnvironmentTarget> | undefined)?.addEnvironment === 'function';
}
