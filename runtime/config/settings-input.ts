import type { LogLevel } from '../logging';
import type { ApiSettingsInput, AwsSettings, FireSettings, PayloadSettings } from './bus-config';

/** What `lightbus.create()` accepts for settings; everything optional. */
export interface BusSettingsInput {
  /**
   * A configuration file (YAML or JSON) to read settings from; relative to the working directory.
   * `lightbus run --config` beats it; it beats LIGHTBUS_CONFIG.
   */
  readonly config?: string;
  /** Name of the bus: every resource name derives from it. @default the file's bus.name, LIGHTBUS_BUS_NAME, else 'lightbus' */
  readonly busName?: string;
  /** Consumer-group prefix for listeners; placeholders {hostname} {pid} {random4} {friendly}. @default the file's serviceName, LIGHTBUS_SERVICE_NAME */
  readonly serviceName?: string;
  /**
   * The scope that prefixes this client's call ids (`<scope>.<uuid>`): a caller's IAM grant
   * (`grantCall(..., { callerScope })`) reads only results under its scope. Letters, digits, `_`, `-`.
   * @default LIGHTBUS_CALLER_SCOPE, else the service name, else 'anon'
   */
  readonly callerScope?: string;
  /** This process's name, for logs and message senders. @default the file's processName, LIGHTBUS_PROCESS_NAME, else '{hostname}-{pid}' */
  readonly processName?: string;
  /** @default the file's bus.logLevel, LIGHTBUS_LOG_LEVEL, else 'info' */
  readonly logLevel?: LogLevel;
  readonly aws?: AwsSettings;
  /** @default 3600 */
  readonly resultTtlSeconds?: number;
  /** @default 60 */
  readonly schemaTtlSeconds?: number;
  /**
   * How often a running worker reports its state (heartbeat), in seconds, at least 1.
   * @default the file's bus.workerHeartbeat, LIGHTBUS_WORKER_HEARTBEAT, else 60
   */
  readonly workerHeartbeatSeconds?: number;
  /**
   * Whether this client carries W3C trace context (docs/operations.md, "Tracing"): `traceparent`
   * on what it sends, the received one continued, spans when OpenTelemetry is installed, a trace
   * scope per message and `traceId` on log lines. `false` turns all of it off (a received
   * traceparent is then ignored, and nothing is sent on).
   * @default the file's bus.traceContext, LIGHTBUS_TRACE_CONTEXT, else true
   */
  readonly traceContext?: boolean;
  /**
   * How fire() delivers events (docs/concepts.md, "Delivery: confirmed or buffered").
   * @default { delivery: 'confirmed', lingerMs: 5, maxBuffered: 1000 }
   */
  readonly fire?: Partial<FireSettings>;
  /**
   * When payloads leave their message for the bus's payload bucket (docs/wire-format.md, "Large payloads").
   * @default the file's bus.payloads, LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE, else only what a transport cannot take
   */
  readonly payloads?: PayloadSettings;
  /**
   * Settings for every API (`default`) and per API name (the config file's `apis` section).
   * An API's own block beats the `default` block, whichever layer each comes from.
   */
  readonly apiSettings?: Readonly<Record<string, ApiSettingsInput>>;
}
