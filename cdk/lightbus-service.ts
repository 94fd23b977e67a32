import { CustomResource, Duration, Fn, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../runtime/errors';
import { apiSlug, type ListenerModel, type QueueModel, type RpcQueueModel, type TaskModel, type Topology } from '../runtime/topology';
import { bundleWorker, optionalModulesLeftOut, type WorkerBundle } from './bundle';
import { DEPLOYED_SCHEMAS_RESOURCE_TYPE, DeployedSchemasProperties } from '../runtime/schema';
import { ClientEnvironment, isEnvironmentTarget } from './client-environment';
import type { ILightbusBus } from './lightbus-bus';
import { loadTopology, type DeployedSchemas } from './load-bus-module';

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
   * The workers' Node.js runtime.
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Extra environment variables for the workers (the bus's own are set for you).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Minify the bundle.
   * @default true
   */
  readonly minify?: boolean;
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
}

const DEFAULT_MEMORY_MB = 512;
const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_FUNCTION = 'Worker';
/** Timeout of a worker function that runs scheduled tasks only (no queue bounds it). */
const DEFAULT_TASK_TIMEOUT_SECONDS = 30;

type Role = { readonly kind: 'rpc'; readonly model: RpcQueueModel } | { readonly kind: 'listener'; readonly model: ListenerModel };

/**
 * A service's workers on Lambda, from its bus module: for each API it registers a request queue,
 * for each listener an EventBridge rule and a queue, a dead-letter queue for each, and the worker
 * function(s) consuming them through SQS event sources with partial batch responses. Nothing is
 * listed by hand: everything comes from `bus.topology()`, the model local provisioning renders too.
 *
 * Least privilege: each worker consumes only its own queues, sends only to its own dead-letter
 * queues, writes results, calls only the APIs its module knows and fires only the APIs it registers.
 * Other code gets access through {@link grantCall} and {@link grantFire}; a container running the
 * worker with `lightbus run`, through {@link grantRunWorker}. The schemas of the APIs the module
 * registers are published at deploy time by a `Custom::LightbusSchemas` resource served by the
 * worker function itself ({@link schemaResource}).
 *
 * @example
 * const auth = new LightbusService(this, 'Auth', { bus, busModule: 'services/auth/bus.ts' });
 * auth.grantCall(frontendFunction); // may call every API auth serves
 */
export class LightbusService extends Construct {
  /** The resources this service needs, as derived from its bus module. */
  public readonly topology: Topology;
  public readonly bus: ILightbusBus;
  /** Every worker function, by construct id (`Worker`, `ApiWorker-<api>`, `ListenerWorker-<listener>`). */
  public readonly functions: ReadonlyMap<string, lambda.Function>;
  /** Request and listener queues, by queue name. */
  public readonly queues: ReadonlyMap<string, sqs.Queue>;
  /** Dead-letter queues, by the name of the queue they serve. */
  public readonly deadLetterQueues: ReadonlyMap<string, sqs.Queue>;
  /** Listener rules, by listener name. */
  public readonly rules: ReadonlyMap<string, events.Rule>;
  /** Schedule rules of the scheduled tasks (on the account's default event bus), by task name. */
  public readonly taskRules: ReadonlyMap<string, events.Rule>;
  /** The bundle the functions run (size for budgets; one per module per synth). */
  public readonly bundle: WorkerBundle;
  /**
   * The `Custom::LightbusSchemas` resource that publishes the schemas of the APIs the module
   * registers when the stack deploys (and deletes them when it is removed), served by a worker
   * function of this service; undefined when the module registers no APIs.
   */
  public readonly schemaResource: CustomResource | undefined;
  /** What the deployment publishes: the registered APIs and a hash of their schemas. */
  public readonly deployedSchemas: DeployedSchemas;

  public constructor(scope: Construct, id: string, props: LightbusServiceProps) {
    super(scope, id);
    this.bus = props.bus;
    validateWorkerOptions('worker', props.worker ?? {});
    const loaded = loadTopology(props.busModule, props.bus.busName);
    this.topology = loaded.topology;
    this.deployedSchemas = loaded.schemas;
    if (loaded.schemas.apis.length > 0 && this.topology.serviceName === undefined) {
      throw new ConfigurationError(
        `busModule: ${loaded.path} registers ${list(loaded.schemas.apis)} but has no serviceName; a deployment publishes its schemas ` +
          'as its service (publishedBy "deploy:<service>"). Give lightbus.create() a serviceName.',
        { path: loaded.path },
      );
    }
    const assignment = assignFunctions(this.topology, props.separateFunctions ?? []);
    for (const task of this.topology.tasks) assertRunsOnEventBridge(task);

    const queues = new Map<string, sqs.Queue>();
    const deadLetterQueues = new Map<string, sqs.Queue>();
    const rules = new Map<string, events.Rule>();
    const queueFor = (roleId: string, model: QueueModel): sqs.Queue => {
      const deadLetterQueue = new sqs.Queue(this, `${roleId}-DLQ`, {
        queueName: model.deadLetterQueueName,
        retentionPeriod: Duration.seconds(model.deadLetterRetentionSeconds),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      const queue = new sqs.Queue(this, roleId, {
        queueName: model.queueName,
        visibilityTimeout: Duration.seconds(model.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: model.redriveMaxReceiveCount },
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      queues.set(model.queueName, queue);
      deadLetterQueues.set(model.queueName, deadLetterQueue);
      return queue;
    };
    for (const model of this.topology.rpcQueues) queueFor(`RpcQueue-${apiSlug(model.api)}`, model);
    for (const model of this.topology.listeners) {
      const queue = queueFor(`ListenerQueue-${model.listenerName}`, model);
      const rule = new events.Rule(this, `ListenerRule-${model.listenerName}`, {
        ruleName: model.ruleName,
        eventBus: props.bus.eventBus,
        description: `lightbus listener ${model.listenerName}: ${model.events.map((e) => `${e.api}.${e.event}`).join(', ')}`,
        eventPattern: { source: [...model.eventPattern.source], detailType: [...model.eventPattern['detail-type']] },
      });
      // The target adds the queue policy that admits this rule only (aws:SourceArn).
      rule.addTarget(new targets.SqsQueue(queue));
      rules.set(model.listenerName, rule);
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
    this.rules = rules;

    this.bundle = bundleWorker(loaded.path, {
      minify: props.minify ?? true,
      target: 'node20',
      leaveOut: optionalModulesLeftOut({ jsonSchemaValidator: props.bundleJsonSchemaValidator ?? false, yamlParser: props.bundleYamlParser ?? false }),
    });
    const code = lambda.Code.fromAsset(this.bundle.directory);
    const firstQueue = queues.values().next().value as sqs.Queue | undefined;
    const functions = new Map<string, lambda.Function>();
    const taskRules = new Map<string, events.Rule>();
    for (const [functionId, group] of assignment) {
      // Scheduled tasks run on the default function.
      const tasks = functionId === DEFAULT_FUNCTION ? this.topology.tasks : [];
      // A module with no queues and no tasks (one that only fires its APIs' events) still needs a
      // function to publish its schemas at deploy time: it gets a default function for that alone.
      const schemasOnly =
        functionId === DEFAULT_FUNCTION && group.roles.length === 0 && tasks.length === 0 && assignment.size === 1 && loaded.schemas.apis.length > 0;
      if (group.roles.length === 0 && tasks.length === 0 && !schemasOnly) continue;
      const options = { ...(functionId === DEFAULT_FUNCTION ? (props.worker ?? {}) : {}), ...group.options };
      const shortestVisibility =
        group.roles.length > 0 ? Math.min(...group.roles.map((r) => r.model.visibilityTimeoutSeconds)) : undefined;
      const timeout = options.timeout ?? Duration.seconds(shortestVisibility ?? DEFAULT_TASK_TIMEOUT_SECONDS);
      if (shortestVisibility !== undefined && !Token.isUnresolved(timeout.toSeconds()) && timeout.toSeconds() > shortestVisibility) {
        const queue = group.roles.find((r) => r.model.visibilityTimeoutSeconds === shortestVisibility)!.model.queueName;
        throw new ConfigurationError(
          `${functionId}: timeout is ${timeout.toSeconds()} s, but queue ${queue} has a visibility timeout of ${shortestVisibility} s; ` +
            'a function may not run longer than the visibility timeout of the queues it consumes. ' +
            'Lower the timeout, or raise the queue\'s visibility timeout (listen({ visibilityTimeoutSeconds }) for a listener).',
          { function: functionId, queue },
        );
      }
      const fn = new lambda.Function(this, functionId, {
        code,
        handler: this.bundle.handler,
        runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
        architecture: props.architecture ?? lambda.Architecture.ARM_64,
        memorySize: options.memorySize ?? DEFAULT_MEMORY_MB,
        timeout,
        description: `lightbus worker of ${this.topology.serviceName ?? 'service'} on bus ${this.topology.busName}: ${
          schemasOnly ? 'deploy-time schema publishing' : [...group.roles.map(describeRole), ...tasks.map((t) => `task ${t.taskName}`)].join(', ')
        }`.slice(0, 256),
        environment: {
          ...(props.environment ?? {}),
          ...this.workerEnvironmentOf(firstQueue),
          NODE_OPTIONS: '--enable-source-maps',
        },
      });
      for (const role of group.roles) {
        const queue = queues.get(role.model.queueName)!;
        fn.addEventSource(
          new SqsEventSource(queue, {
            batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
            reportBatchItemFailures: true,
            ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
          }),
        );
        // The dispatcher dead-letters explicitly, with the cause in message attributes.
        deadLetterQueues.get(role.model.queueName)!.grantSendMessages(fn);
      }
      if (!schemasOnly) this.grantWorkerAccess(fn, group.roles.some((r) => r.kind === 'rpc'));
      functions.set(functionId, fn);
      for (const task of tasks) taskRules.set(task.taskName, this.taskRule(task, fn));
    }
    this.functions = functions;
    this.taskRules = taskRules;
    this.schemaResource = this.publishSchemasAtDeploy(props.bus);
  }

  /**
   * The deploy-time schema resource. Its service token is the default worker function (or the
   * first function, when every API and listener has its own): no provider framework and no SDK
   * of the Lambda runtime's, only the service's own bundle, whose bus module is the source of
   * truth. The properties carry the APIs and a hash of their schemas, so a changed contract is an
   * Update; the function computes the items from its bundled module.
   */
  private publishSchemasAtDeploy(bus: ILightbusBus): CustomResource | undefined {
    const { apis, hash } = this.deployedSchemas;
    if (apis.length === 0) return undefined;
    const fn = this.functions.get(DEFAULT_FUNCTION) ?? this.functions.values().next().value;
    if (fn === undefined) return undefined; // unreachable: a module with APIs always gets a function
    const grant = bus.grantPublishSchemas(fn, apis, { withdraw: true });
    const P = DeployedSchemasProperties;
    const resource = new CustomResource(this, 'Schemas', {
      serviceToken: fn.functionArn,
      resourceType: DEPLOYED_SCHEMAS_RESOURCE_TYPE,
      properties: { [P.BusName]: bus.busName, [P.Service]: this.topology.serviceName, [P.Apis]: [...apis], [P.SchemaHash]: hash },
    });
    // The function's policy exists before the first request and outlives the Delete.
    grant.applyBefore(resource);
    return resource;
  }

  /**
   * The environment a worker of this service needs to find the bus and its queues: the bus's client
   * environment, `LIGHTBUS_SERVICE_NAME` and `LIGHTBUS_QUEUE_URL_PREFIX`. The Lambda workers have it;
   * give it to a container that runs `lightbus run` (see {@link grantRunWorker}).
   */
  public get workerEnvironment(): Readonly<Record<string, string>> {
    return this.workerEnvironmentOf(this.queues.values().next().value);
  }

  private workerEnvironmentOf(firstQueue: sqs.Queue | undefined): Record<string, string> {
    return {
      ...this.bus.clientEnvironment,
      ...(this.topology.serviceName !== undefined ? { [ClientEnvironment.ServiceName]: this.topology.serviceName } : {}),
      // From a real queue URL, so it is right on AWS and on an emulator alike.
      ...(firstQueue ? { [ClientEnvironment.QueueUrlPrefix]: queueUrlPrefix(firstQueue) } : {}),
    };
  }

  /**
   * A scheduled task's rule: on the account's default event bus (schedule rules cannot live on a
   * custom bus), invoking the worker function with the scheduled event itself. The Lambda target adds a permission that admits this rule only.
   */
  private taskRule(task: TaskModel, fn: lambda.Function): events.Rule {
    const rule = new events.Rule(this, `TaskRule-${task.taskName}`, {
      ruleName: task.ruleName,
      description: `lightbus task ${task.taskName} of ${this.topology.serviceName ?? 'service'} on bus ${this.topology.busName}: ${task.scheduleExpression}`,
      schedule: events.Schedule.expression(task.scheduleExpression),
    });
    // No input template: the function gets EventBridge's own "Scheduled Event", whose rule ARN
    // names the task and whose `time` is the scheduled time (handlers/worker-entry.ts).
    rule.addTarget(new targets.LambdaFunction(fn));
    return rule;
  }

  /** The default worker function, unless every API and listener has a function of its own. */
  public get workerFunction(): lambda.Function | undefined {
    return this.functions.get(DEFAULT_FUNCTION);
  }

  /**
   * Lets `grantee` call the procedures of one API this service serves, or of all of them: send to
   * the request queue and read results. A Lambda function also gets the environment to find the bus.
   */
  public grantCall(grantee: iam.IGrantable, api?: string): void {
    const served = this.topology.rpcQueues.map((q) => q.api);
    if (api !== undefined && !served.includes(api)) {
      throw new ConfigurationError(
        `grantCall: service ${this.topology.serviceName ?? '(unnamed)'} does not serve API "${api}"; it serves ${served.map((a) => `"${a}"`).join(', ') || 'no APIs'}.`,
        { api },
      );
    }
    for (const each of api === undefined ? served : [api]) this.bus.grantCall(grantee, each);
  }

  /** Lets `grantee` fire the events of the APIs this service registers. */
  public grantFire(grantee: iam.IGrantable): void {
    for (const source of this.topology.permissions.fireSources) this.bus.grantFire(grantee, apiOfEventSource(source));
  }

  /**
   * Lets `grantee` run this service's worker with `lightbus run` (in a container: an ECS task role,
   * an EC2 instance role, ...) against the resources this construct created: consume every queue of
   * the service and dead-letter into their DLQs, write results, publish the schemas of the APIs it
   * registers (PutItem on `schema#<api>`; a running worker's PutItem is conditional, so it never
   * replaces the deployed schema), and call and fire what the Lambda workers may. A grantee that
   * takes environment variables also gets {@link workerEnvironment}; otherwise pass it to the
   * container yourself.
   *
   * Such a worker competes with the Lambda workers' event source mappings for the same queues:
   * each message goes to whichever consumer receives it first.
   *
   * @example
   * auth.grantRunWorker(taskDefinition.taskRole);
   * taskDefinition.addContainer('Worker', { image, command: ['lightbus', 'run', '--bus', 'bus.js'], environment: { ...auth.workerEnvironment } });
   */
  public grantRunWorker(grantee: iam.IGrantable): void {
    for (const [queueName, queue] of this.queues) {
      queue.grantConsumeMessages(grantee);
      this.deadLetterQueues.get(queueName)!.grantSendMessages(grantee);
    }
    this.grantWorkerAccess(grantee, this.topology.rpcQueues.length > 0);
    // Read back a deployed schema when its conditional PutItem fails (SchemaStore.publish).
    this.bus.grantReadResults(grantee);
    if (this.deployedSchemas.apis.length > 0) this.bus.grantPublishSchemas(grantee, this.deployedSchemas.apis);
    if (isEnvironmentTarget(grantee)) {
      for (const [key, value] of Object.entries(this.workerEnvironment)) grantee.addEnvironment(key, value);
    }
  }

  /**
   * Results, calls to the APIs the module knows, and events of the APIs it registers. Only a
   * grantee that serves RPCs claims calls, so only it gets PartiQLInsert (batched claims).
   */
  private grantWorkerAccess(grantee: iam.IGrantable, servesRpc: boolean): void {
    this.bus.grantWriteResults(grantee, { batchedClaims: servesRpc });
    const callable = [...new Set([...this.topology.rpcQueues.map((q) => q.api), ...this.topology.permissions.callsApis])].sort();
    for (const api of callable) this.bus.grantCall(grantee, api);
    if (this.topology.permissions.fireSources.length > 0) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['events:PutEvents'],
        resourceArns: [this.bus.eventBus.eventBusArn],
        conditions: { StringEquals: { 'events:source': [...this.topology.permissions.fireSources] } },
      });
    }
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/` from one of the stack's queue URLs. */
function queueUrlPrefix(queue: sqs.Queue): string {
  const name = (queue.node.defaultChild as sqs.CfnQueue).queueName as string;
  return Fn.select(0, Fn.split(name, queue.queueUrl));
}

function describeRole(role: Role): string {
  return role.kind === 'rpc' ? `api ${role.model.api}` : `listener ${role.model.listenerName}`;
}

function assignFunctions(
  topology: Topology,
  separate: readonly LightbusSeparateFunction[],
): Map<string, { roles: Role[]; options: LightbusWorkerOptions }> {
  const groups = new Map<string, { roles: Role[]; options: LightbusWorkerOptions }>([[DEFAULT_FUNCTION, { roles: [], options: {} }]]);
  const claimed = new Map<string, string>();
  for (const [index, entry] of separate.entries()) {
    const where = `separateFunctions[${index}]`;
    validateWorkerOptions(where, entry);
    if ((entry.api === undefined) === (entry.listener === undefined)) {
      throw new ConfigurationError(
        `${where}: give exactly one of api or listener; got ${entry.api === undefined ? 'neither' : `api "${entry.api}" and listener "${entry.listener}"`}.`,
      );
    }
    let role: Role;
    let functionId: string;
    if (entry.api !== undefined) {
      const model = topology.rpcQueues.find((q) => q.api === entry.api);
      if (!model) {
        throw new ConfigurationError(
          `${where}: API "${entry.api}" is not registered by this bus module; it registers ${list(topology.rpcQueues.map((q) => q.api))}.`,
          { api: entry.api },
        );
      }
      role = { kind: 'rpc', model };
      functionId = `ApiWorker-${apiSlug(entry.api)}`;
    } else {
      const model = topology.listeners.find((l) => l.listenerName === entry.listener);
      if (!model) {
        throw new ConfigurationError(
          `${where}: listener "${entry.listener}" is not declared by this bus module; its listeners are ${list(topology.listeners.map((l) => l.listenerName))}.`,
          { listener: entry.listener },
        );
      }
      role = { kind: 'listener', model };
      functionId = `ListenerWorker-${model.listenerName}`;
    }
    if (claimed.has(functionId)) {
      throw new ConfigurationError(`${where}: ${describeRole(role)} already has a function of its own (${claimed.get(functionId)}).`);
    }
    claimed.set(functionId, where);
    const { api: _api, listener: _listener, ...options } = entry;
    groups.set(functionId, { roles: [role], options });
  }
  const separated = new Set([...groups.values()].flatMap((g) => g.roles.map((r) => r.model.queueName)));
  const rest: Role[] = [
    ...topology.rpcQueues.map((model): Role => ({ kind: 'rpc', model })),
    ...topology.listeners.map((model): Role => ({ kind: 'listener', model })),
  ].filter((r) => !separated.has(r.model.queueName));
  groups.get(DEFAULT_FUNCTION)!.roles.push(...rest);
  return groups;
}

function assertRunsOnEventBridge(task: TaskModel): void {
  if (task.runsOnEventBridge) return;
  throw new ConfigurationError(
    `Scheduled task "${task.taskName}" runs on ${task.scheduleExpression}, but EventBridge schedule rules fire at most once a minute, ` +
      'so LightbusService cannot deploy it. Give it an interval of whole minutes (every({ minutes: 1 })) or a cron expression; ' +
      'intervals of seconds are for the local worker only.',
    { taskName: task.taskName, scheduleExpression: task.scheduleExpression },
  );
}

function validateWorkerOptions(where: string, options: LightbusWorkerOptions): void {
  const check = (field: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigurationError(`${where}.${field} must be an integer from ${min} to ${max}; got ${value}.`, { [field]: value });
    }
  };
  check('memorySize', options.memorySize, 128, 10_240);
  check('batchSize', options.batchSize, 1, 10);
  check('maxConcurrency', options.maxConcurrency, 2, 1000);
  const timeout = options.timeout?.toSeconds();
  if (timeout !== undefined && !Token.isUnresolved(timeout) && (timeout < 1 || timeout > 900)) {
    throw new ConfigurationError(`${where}.timeout must be from 1 second to 15 minutes; got ${timeout} seconds.`, { timeout });
  }
}

function list(values: readonly string[]): string {
  return values.length ? values.map((v) => `"${v}"`).join(', ') : '(none)';
}



/** `lightbus.support.case` → `support.case` (see eventSource() in the wire format). */
function apiOfEventSource(source: string): string {
  return source.slice('lightbus.'.length);
}
