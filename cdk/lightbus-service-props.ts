import { Token, type Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { ConstructValidationError } from '../runtime/errors/deployment';
import type { ILightbusBus } from './lightbus-bus';

/** Settings of a worker function. */
export interface LightbusWorkerOptions {
  /**
   * Memory of the function, in MiB (128–10240).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The function's timeout. It may not exceed the visibility timeout of any queue the function
   * consumes (SQS would hand the message to another invocation while the first still runs).
   * @default - the shortest visibility timeout among the function's queues (30 seconds unless a listener sets its own)
   */
  readonly timeout?: Duration;
  /**
   * Most concurrent invocations each of the function's event source mappings may start (2–1000).
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Records per invocation (1–10).
   * @default 10
   */
  readonly batchSize?: number;
}

/** An API's procedures or one listener, served by a function of its own. */
export interface LightbusSeparateFunction extends LightbusWorkerOptions {
  /**
   * An API this service registers, whose request queue gets its own function. Give `api` or `listener`, not both.
   * @default - not an API
   */
  readonly api?: string;
  /**
   * A listener of this service (its `listenerName`) that gets its own function. Give `api` or `listener`, not both.
   * @default - not a listener
   */
  readonly listener?: string;
}

/** Properties of {@link LightbusService}. */
export interface LightbusServiceProps {
  /** The bus the service is on: a `LightbusBus`, or `LightbusBus.fromBusName()`. */
  readonly bus: ILightbusBus;
  /**
   * Path of the service's bus module (TypeScript or JavaScript, exporting `bus`). It is loaded at
   * synth time to derive the resources (`bus.topology()`), and bundled once as the workers' code.
   * A relative path is resolved from the working directory.
   */
  readonly busModule: string;
  /**
   * Settings of the service's default worker function, which serves every API and listener not
   * given a function of its own.
   * @default - the defaults of each `LightbusWorkerOptions` field
   */
  readonly worker?: LightbusWorkerOptions;
  /**
   * APIs and listeners that get a function of their own, with its own memory, timeout and
   * concurrency. All of a service's functions share the one bundle.
   * @default - one function serves everything
   */
  readonly separateFunctions?: readonly LightbusSeparateFunction[];
  /**
   * APIs served outside this CDK app (another app, account or team) whose procedures the workers
   * call: each gets `sqs:SendMessage` on its request queue `<bus>-rpc-<api>`. APIs served by a
   * `LightbusService` on the same bus in this app need not be listed: the workers may call those
   * their bus module defines with procedures, and the APIs they serve themselves. An API the module
   * defines without procedures (events only) is refused: it has no request queue.
   * @default - no APIs beyond those served in this app
   */
  readonly calls?: readonly string[];
  /**
   * How long each worker function's log group keeps its logs. Every function writes to a log group
   * of its own, created with the stack, and may write to no other.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The workers' Node.js runtime. The bundle's esbuild target follows it (`nodejs24.x` → `node24`).
   * @default - `lambda.Runtime.NODEJS_LATEST`: the newest Node.js runtime the installed aws-cdk-lib
   * knows, as NodejsFunction picks it (see worker-runtime.ts)
   */
  readonly runtime?: lambda.Runtime;
  /**
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Extra environment variables for the workers (the bus's own are set for you). A `NODE_OPTIONS`
   * given here is kept; with `sourceMap`, `--enable-source-maps` is added to it.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Minify the bundle.
   * @default true
   */
  readonly minify?: boolean;
  /**
   * Emit a source map with the bundle and turn on Node.js's use of it (`--enable-source-maps`
   * added to the workers' NODE_OPTIONS), so stack traces name the bus module's own files and lines.
   * Costs bundle size and some cold-start time.
   * @default false - no source map, and NODE_OPTIONS untouched (as NodejsFunction's `sourceMap`)
   */
  readonly sourceMap?: boolean;
  /**
   * Bundle the JSON Schema validator (ajv), so the worker can validate calls to APIs its bus
   * module has no definition for against the schemas published on the bus.
   * @default false - the worker validates with the zod definitions its bus module imports (the
   * usual case); a call that would need a published schema fails with an error naming this prop.
   * Leaving ajv out makes the bundle ~155 kB smaller and cold starts faster.
   */
  readonly bundleJsonSchemaValidator?: boolean;
  /**
   * Bundle the YAML parser, for a YAML configuration file (LIGHTBUS_CONFIG) read by the worker.
   * @default false - a configuration file read in Lambda must be JSON (~120 kB smaller bundle)
   */
  readonly bundleYamlParser?: boolean;
  /**
   * Bundle zod's error-message locales other than English, for a bus module that switches zod to
   * another language (`z.config(z.locales.fr())`).
   * @default false - zod's messages are English (its default); `z.locales.<other>()` throws
   * ModuleLeftOutError in the worker (~190 kB smaller bundle). A bus module with a zod install of
   * its own (not the one lightbus-aws resolves) keeps it whole.
   */
  readonly bundleZodLocales?: boolean;
  /**
   * Move the ownership of the APIs the bus module registers to this service when the stack deploys,
   * even if another service owns them (a migration: deploy this, then remove the APIs from the old
   * service). Without it, an API has one owning service: two LightbusService constructs of one app
   * that register the same API fail at synth, and the owner record `owner#<api>` in the results
   * table refuses a second service at deploy time and at `lightbus run`. See docs/operations.md.
   * @default false
   */
  readonly takeOwnership?: boolean;
  /**
   * Let the worker functions report their state on the bus, for `lightbus inspect --workers` and
   * `lightbus.state` listeners (docs/operations.md, "Worker state"): `workerStarted` on each
   * execution environment's first invocation, then a heartbeat at most once per
   * `workerHeartbeatSeconds` (default 60 s), made during an invocation, never on its own. Off by
   * default because each report costs a DynamoDB write and a PutEvents; no invocation in between
   * makes a call for it either way. Containers running `lightbus run` (`grantRunWorker`) report
   * regardless.
   * @default false
   */
  readonly workerState?: boolean;
}

/**
 * Checks a worker's settings where they are given (`worker`, `separateFunctions[<i>]`), each
 * against the range Lambda and SQS allow. Tokens are left to CloudFormation.
 */
export function validateWorkerOptions(constructPath: string, where: string, options: LightbusWorkerOptions): void {
  const check = (field: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConstructValidationError(constructPath, `${where}.${field} must be an integer from ${min} to ${max}; got ${value}.`, { [field]: value });
    }
  };
  check('memorySize', options.memorySize, 128, 10_240);
  check('batchSize', options.batchSize, 1, 10);
  check('maxConcurrency', options.maxConcurrency, 2, 1000);
  const timeout = options.timeout?.toSeconds();
  if (timeout !== undefined && !Token.isUnresolved(timeout) && (timeout < 1 || timeout > 900)) {
    throw new ConstructValidationError(constructPath, `${where}.timeout must be from 1 second to 15 minutes; got ${timeout} seconds.`, { timeout });
  }
}
