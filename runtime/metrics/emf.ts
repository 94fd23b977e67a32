import type { BusClient } from '../client/bus-client';
import type { HookOutcome } from '../hooks';

/** Options of {@link emf}. */
export interface EmfOptions {
  /** The CloudWatch namespace of every metric. @default 'Lightbus' */
  readonly namespace?: string;
  /** The `Service` dimension. @default the bus's serviceName, else 'unknown' (a client-only bus) */
  readonly service?: string;
  /**
   * Where each EMF line goes (one JSON document, no newline). On Lambda, stdout is the function's
   * log stream, where CloudWatch extracts the metrics.
   * @default a line on process.stdout
   */
  readonly write?: (line: string) => void;
}

/** The CloudWatch units this module uses (names as EMF spells them). */
export type EmfUnit = 'Milliseconds' | 'Count';

/** The metrics emitted, by name: one EMF line per operation carries its two. */
export const EMF_METRICS = {
  RpcCallDuration: 'Milliseconds',
  RpcCallErrors: 'Count',
  RpcExecutionDuration: 'Milliseconds',
  RpcExecutionErrors: 'Count',
  EventsSent: 'Count',
  EventSendErrors: 'Count',
  EventExecutionDuration: 'Milliseconds',
  EventExecutionErrors: 'Count',
} as const satisfies Record<string, EmfUnit>;

export type EmfMetricName = keyof typeof EMF_METRICS;

/** The dimension set of every metric. */
export const EMF_DIMENSIONS = ['Service', 'Api', 'Member'] as const;

const defaultWrite = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * Publishes CloudWatch metrics for every RPC call, RPC execution, event sent and event execution
 * of a bus, as CloudWatch Embedded Metric Format lines (one per operation). Built on the bus's
 * `after*` hooks; returns a function that stops it.
 *
 * @example
 * export const bus = lightbus.create({ serviceName: 'auth', apis: [authApi] });
 * lightbus.metrics.emf(bus, { namespace: 'MyCompany/Lightbus' });
 */
export function emf(bus: BusClient, options: EmfOptions = {}): () => void {
  const namespace = options.namespace ?? 'Lightbus';
  const service = options.service ?? bus.settings.serviceName ?? 'unknown';
  const write = options.write ?? defaultWrite;

  const line = (
    operation: string,
    api: string,
    member: string,
    metrics: Partial<Record<EmfMetricName, number>>,
    outcome: HookOutcome<unknown>,
    properties: Record<string, unknown>,
  ): void => {
    const names = Object.keys(metrics) as EmfMetricName[];
    const document: Record<string, unknown> = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [[...EMF_DIMENSIONS]],
            Metrics: names.map((name) => ({ Name: name, Unit: EMF_METRICS[name] })),
          },
        ],
      },
      Service: service,
      Api: api,
      Member: member,
      ...metrics,
      // Properties: not metrics, but searchable with CloudWatch Logs Insights.
      Operation: operation,
      Outcome: outcome.ok ? 'ok' : 'error',
      ...(outcome.ok ? {} : { ErrorName: outcome.error.name, ErrorMessage: outcome.error.message.slice(0, 1024) }),
      ...properties,
    };
    write(JSON.stringify(document));
  };
  const ms = (value: number): number => Math.round(value * 1000) / 1000;
  const failed = (outcome: HookOutcome<unknown>): number => (outcome.ok ? 0 : 1);

  const off = [
    bus.hooks.on('afterRpcCall', (c) =>
      line('rpcCall', c.api, c.member, { RpcCallDuration: ms(c.durationMs), RpcCallErrors: failed(c.outcome) }, c.outcome, {
        CallId: c.callId,
      }),
    ),
    bus.hooks.on('afterRpcExecution', (c) =>
      line(
        'rpcExecution',
        c.api,
        c.member,
        { RpcExecutionDuration: ms(c.durationMs), RpcExecutionErrors: failed(c.outcome) },
        c.outcome,
        { CallId: c.callId },
      ),
    ),
    bus.hooks.on('afterEventSent', (c) =>
      line('eventSent', c.api, c.member, { EventsSent: c.outcome.ok ? 1 : 0, EventSendErrors: failed(c.outcome) }, c.outcome, {
        EventId: c.eventId,
      }),
    ),
    bus.hooks.on('afterEventExecution', (c) =>
      line(
        'eventExecution',
        c.api,
        c.member,
        { EventExecutionDuration: ms(c.durationMs), EventExecutionErrors: failed(c.outcome) },
        c.outcome,
        { EventId: c.eventId, Listener: c.listenerName, ReceiveCount: c.receiveCount },
      ),
    ),
  ];
  return () => {
    for (const remove of off) remove();
  };
}
