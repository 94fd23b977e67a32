import { CustomResource, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ClientEnvironment, clientEnvironmentOf, WORKER_STATE_ENV } from '../runtime/config';
import { lambdaWorkerStateValue } from '../runtime/worker-state';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { OWNERSHIP_PROPERTIES } from '../runtime/ownership';
import { DEPLOYED_SCHEMAS_RESOURCE_TYPE, DeployedSchemasProperties } from '../runtime/schema';
import type { TaskModel, Topology } from '../runtime/topology';
import { WORKER_HANDLER, workerBundleLeaveOuts, type WorkerBundle } from './bundle';
import { loadBusModuleTopology, type DeployedSchemas } from './bus-module-topology';
import { isEnvironmentTarget } from './environment-target';
import { assertRunsOnEventBridge, assignFunctions, DEFAULT_FUNCTION, describeRole, list, type FunctionGroup } from './function-assignment';
import type { CallGrantOptions, ILightbusBus } from './lightbus-bus';
import { validateWorkerOptions, type LightbusServiceProps } from './lightbus-service-props';
import { apiOfEventSource, grantCalls, grantExactlyOnceRecords, grantWorkerAccess, grantWorkerState, queueUrlPrefix } from './service-grants';
import { assignCallerScope, serviceCallerScope } from './caller-scope';
import { claimApisInStage } from './api-ownership';
import { apisServedInStage, atSynthesis, markServedApis, resolveCallableApis, validateCalls, type CallRightsInput } from './call-rights';
import { createServiceQueues } from './service-queues';
import { createServiceTopics, grantPublishTopics, topicArnPrefixOf, type ServiceTopics } from './service-topics';
import { workerBundleOf, workerCode, type WorkerCodeProps } from './worker-code';
import { createWorkerLogging, DEFAULT_LOG_RETENTION } from './worker-logging';
import { defaultWorkerRuntime, esbuildTargetOf, nodeOptionsWithSourceMaps } from './worker-runtime';

export type { LightbusServiceProps, LightbusWorkerOptions, LightbusSeparateFunction } from './lightbus-service-props';

const DEFAULT_MEMORY_MB = 512;
const DEFAULT_BATCH_SIZE = 10;
/** Timeout of a worker function that runs scheduled tasks only (no queue bounds it). */
const DEFAULT_TASK_TIMEOUT_SECONDS = 30;

/**
 * A service's workers on Lambda, from its bus module: for each API it registers a request queue,
 * for each listener an EventBridge rule and a queue, a dead-letter queue for each, and the worker
 * function(s) consuming them through SQS event sources with partial batch responses. Nothing is
 * listed by hand: everything comes from `bus.topology()`, the model local provisioning renders too.
 *
 * Least privilege: each worker function has a role of its own and writes to a log group of its
 * own; it consumes only its own queues, sends only to its own dead-letter queues, writes to the
 * results table only if it serves RPCs or runs tasks, calls only the APIs it serves, those its
 * module defines with procedures that a service in this app serves, and those listed in `calls`
 * (see call-rights.ts), and fires only the APIs it registers.
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
  /** The SNS topics of this service's APIs on `transports.event: sns`, and its listeners' subscriptions. */
  public readonly eventTopics: ServiceTopics;
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
  /**
   * The bundle the functions run (size for budgets; one per module per synth), built by the
   * functions' asset staging. Undefined when this stack's bundling was skipped: a command that
   * selected other stacks (`cdk deploy OtherStack`, context `aws:cdk:bundling-stacks`).
   */
  public readonly bundle: WorkerBundle | undefined;
  /**
   * The `Custom::LightbusSchemas` resource that publishes the schemas of the APIs the module
   * registers when the stack deploys (and deletes them when it is removed), served by a worker
   * function of this service; undefined when the module registers no APIs.
   */
  public readonly schemaResource: CustomResource | undefined;
  /** What the deployment publishes: the registered APIs and a hash of their schemas. */
  public readonly deployedSchemas: DeployedSchemas;
  /** Each worker function's own log group, by construct id (as {@link functions}). */
  public readonly logGroups: ReadonlyMap<string, logs.LogGroup>;

  /** Move the ownership of the registered APIs to this service at deploy time. */
  private readonly takeOwnership: boolean;
  /** What decides the workers' call rights at synthesis. */
  private readonly callRights: CallRightsInput;
  /** Who gets the call rights at synthesis: the worker functions and grantRunWorker's grantees. */
  private readonly callers: iam.IGrantable[] = [];

  public constructor(scope: Construct, id: string, props: LightbusServiceProps) {
    super(scope, id);
    this.bus = props.bus;
    this.takeOwnership = props.takeOwnership === true;
    validateWorkerOptions(this.node.path, 'worker', props.worker ?? {});
    // The topology decides which resources to create, so the module is loaded now; bundling it is
    // left to asset staging (workerCode), which skips the stacks a command did not select.
    const loaded = ConstructValidationError.at(this.node.path, () => loadBusModuleTopology(props.busModule, props.bus.busName));
    this.topology = loaded.topology;
    this.deployedSchemas = loaded.schemas;
    if (loaded.schemas.apis.length > 0 && this.topology.serviceName === undefined) {
      throw new ConstructValidationError(
        this.node.path,
        `busModule: ${loaded.path} registers ${list(loaded.schemas.apis)} but has no serviceName; a deployment publishes its schemas ` +
          'as its service (publishedBy "deploy:<service>"). Give lightbus.create() a serviceName.',
        { path: loaded.path },
      );
    }
    claimApisInStage(this, props.bus.busName, this.topology.serviceName ?? '', loaded.schemas.apis);
    const calls = props.calls ?? [];
    validateCalls(this.node.path, calls, loaded.otherApis.withoutProcedures);
    this.callRights = { served: this.topology.rpcQueues.map((q) => q.api), knownWithProcedures: loaded.otherApis.withProcedures, explicit: calls };
    markServedApis(this, props.bus.busName, this.callRights.served);
    const assignment = assignFunctions(this.node.path, this.topology, props.separateFunctions ?? []);
    for (const task of this.topology.tasks) assertRunsOnEventBridge(this.node.path, task);

    const { queues, deadLetterQueues, rules } = createServiceQueues(this, this.topology, props.bus.eventBus);
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
    this.rules = rules;
    this.eventTopics = createServiceTopics(this, this.topology, queues);

    const runtime = props.runtime ?? defaultWorkerRuntime();
    const codeProps: WorkerCodeProps = {
      modulePath: loaded.path,
      runtime,
      minify: props.minify ?? true,
      target: esbuildTargetOf(runtime, this.node.path),
      sourceMap: props.sourceMap ?? false,
      ...workerBundleLeaveOuts(props, this.topology),
    };
    const code = workerCode(codeProps);
    const functions = new Map<string, lambda.Function>();
    const logGroups = new Map<string, logs.LogGroup>();
    const taskRules = new Map<string, events.Rule>();
    for (const [functionId, group] of assignment) {
      // Scheduled tasks run on the default function.
      const tasks = functionId === DEFAULT_FUNCTION ? this.topology.tasks : [];
      // A module with no queues and no tasks (one that only fires its APIs' events) still needs a
      // function to publish its schemas at deploy time: it gets a default function for that alone.
      const schemasOnly =
        functionId === DEFAULT_FUNCTION && group.roles.length === 0 && tasks.length === 0 && assignment.size === 1 && loaded.schemas.apis.length > 0;
      if (group.roles.length === 0 && tasks.length === 0 && !schemasOnly) continue;
      const logging = createWorkerLogging(this, functionId, props.logRetention ?? DEFAULT_LOG_RETENTION);
      const fn = this.createWorkerFunction(functionId, group, { props, code, runtime, tasks, schemasOnly, ...logging });
      functions.set(functionId, fn);
      logGroups.set(functionId, logging.logGroup);
      for (const task of tasks) taskRules.set(task.taskName, this.taskRule(task, fn));
    }
    this.functions = functions;
    this.logGroups = logGroups;
    this.taskRules = taskRules;
    // Asset staging built the bundle (or skipped it) when the first function took the code.
    this.bundle = workerBundleOf(this, codeProps);
    this.schemaResource = this.publishSchemasAtDeploy(props.bus);
    // Which APIs are served in the app is known once every construct exists.
    atSynthesis(this, () => this.grantCallRights());
  }

  /** Gives this service's callers (its functions, grantRunWorker's grantees) the APIs they may call. */
  private grantCallRights(): void {
    if (this.callers.length === 0) return;
    const callable = resolveCallableApis(this, this.callRights, apisServedInStage(this, this.bus.busName));
    for (const caller of this.callers) grantCalls(this.bus, caller, callable, this.callerScope);
  }

  /** One worker function: its settings, its SQS event sources, and what it may do. */
  private createWorkerFunction(functionId: string, group: FunctionGroup, shared: WorkerFunctionContext): lambda.Function {
    const { props, code, runtime, tasks, schemasOnly, logGroup, role } = shared;
    const options = { ...(functionId === DEFAULT_FUNCTION ? (props.worker ?? {}) : {}), ...group.options };
    const shortestVisibility = group.roles.length > 0 ? Math.min(...group.roles.map((r) => r.model.visibilityTimeoutSeconds)) : undefined;
    const timeout = options.timeout ?? Duration.seconds(shortestVisibility ?? DEFAULT_TASK_TIMEOUT_SECONDS);
    if (shortestVisibility !== undefined && !Token.isUnresolved(timeout.toSeconds()) && timeout.toSeconds() > shortestVisibility) {
      const queue = group.roles.find((r) => r.model.visibilityTimeoutSeconds === shortestVisibility)!.model.queueName;
      throw new ConstructValidationError(
        this.node.path,
        `${functionId}: timeout is ${timeout.toSeconds()} s, but queue ${queue} has a visibility timeout of ${shortestVisibility} s; ` +
          'a function may not run longer than the visibility timeout of the queues it consumes. ' +
          'Lower the timeout, or raise the queue\'s visibility timeout (listen({ visibilityTimeoutSeconds }) for a listener).',
        { function: functionId, queue },
      );
    }
    const userEnvironment = props.environment ?? {};
    const fn = new lambda.Function(this, functionId, {
      code,
      handler: WORKER_HANDLER,
      runtime,
      role,
      logGroup,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: options.memorySize ?? DEFAULT_MEMORY_MB,
      timeout,
      description: `lightbus worker of ${this.topology.serviceName ?? 'service'} on bus ${this.topology.busName}: ${
        schemasOnly ? 'deploy-time schema publishing' : [...group.roles.map(describeRole), ...tasks.map((t) => `task ${t.taskName}`)].join(', ')
      }`.slice(0, 256),
      environment: {
        ...userEnvironment,
        ...this.workerEnvironmentOf(this.queues.values().next().value),
        // Only with a source map to use; a user's own NODE_OPTIONS is kept either way.
        ...(props.sourceMap ? { NODE_OPTIONS: nodeOptionsWithSourceMaps(userEnvironment.NODE_OPTIONS) } : {}),
        // What this function serves, for its worker-state reports (off unless asked for).
        ...(props.workerState && !schemasOnly ? { [WORKER_STATE_ENV]: workerStateOf(group) } : {}),
      },
    });
    for (const role of group.roles) {
      fn.addEventSource(
        new SqsEventSource(this.queues.get(role.model.queueName)!, {
          batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
          reportBatchItemFailures: true,
          ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
        }),
      );
      // The dispatcher dead-letters explicitly, with the cause in message attributes.
      this.deadLetterQueues.get(role.model.queueName)!.grantSendMessages(fn);
    }
    if (!schemasOnly) {
      // Its bus client derives the scope from LIGHTBUS_SERVICE_NAME; recorded now, so later grants agree.
      assignCallerScope(this.node.path, fn, { callerScope: this.callerScope, derivedByProcess: true });
      const listeners = group.roles.flatMap((r) => (r.kind === 'listener' ? [r.model] : []));
      grantWorkerAccess(this.bus, this.topology, fn, { servesRpc: group.roles.some((r) => r.kind === 'rpc'), runsTasks: tasks.length > 0, listeners });
      grantExactlyOnceRecords(this.bus, this.topology, fn, listeners);
      if (props.workerState) grantWorkerState(this.bus, this.topology, fn);
      this.callers.push(fn);
    }
    return fn;
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
      properties: {
        [P.BusName]: bus.busName,
        [P.Service]: this.topology.serviceName,
        [P.Apis]: [...apis],
        [P.SchemaHash]: hash,
        // Only when set, so existing templates do not change.
        ...(this.takeOwnership ? { [OWNERSHIP_PROPERTIES.TakeOwnership]: 'true' } : {}),
      },
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
    return clientEnvironmentOf({
      busName: this.bus.busName,
      eventBusName: this.bus.eventBus.eventBusName,
      resultsTable: this.bus.resultsTable.tableName,
      payloadBucket: this.bus.payloadBucket.bucketName,
      serviceName: this.topology.serviceName,
      // From a real queue URL, so it is right on AWS and on an emulator alike.
      queueUrlPrefix: firstQueue ? queueUrlPrefix(firstQueue) : undefined,
      // Only for a service whose events travel over SNS: others need no topic.
      topicArnPrefix: this.topology.topics.length > 0 ? topicArnPrefixOf(this) : undefined,
    });
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
  public grantCall(grantee: iam.IGrantable, api?: string, options: CallGrantOptions = {}): void {
    const served = this.topology.rpcQueues.map((q) => q.api);
    if (api !== undefined && !served.includes(api)) {
      throw new ConstructValidationError(
        this.node.path,
        `grantCall: service ${this.topology.serviceName ?? '(unnamed)'} does not serve API "${api}"; it serves ${served.map((a) => `"${a}"`).join(', ') || 'no APIs'}.`,
        { api },
      );
    }
    for (const each of api === undefined ? served : [api]) this.bus.grantCall(grantee, each, options);
  }

  /** The caller scope of this service's workers: its service name (callerScopeOf), else `anon`. */
  public get callerScope(): string {
    return serviceCallerScope(this.topology.serviceName);
  }

  /** Lets `grantee` fire the events of the APIs this service registers. */
  public grantFire(grantee: iam.IGrantable): void {
    for (const source of this.topology.permissions.fireSources) this.bus.grantFire(grantee, apiOfEventSource(source));
    grantPublishTopics(this, this.topology, grantee);
    if (this.topology.topics.length > 0 && isEnvironmentTarget(grantee)) grantee.addEnvironment(ClientEnvironment.TopicArnPrefix, topicArnPrefixOf(this));
  }

  /**
   * Lets `grantee` run this service's worker with `lightbus run` (in a container: an ECS task role,
   * an EC2 instance role, ...) against the resources this construct created: consume every queue of
   * the service and dead-letter into their DLQs, write results and task records (if the service
   * serves RPCs or runs tasks), publish the schemas of the APIs it
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
    grantWorkerAccess(this.bus, this.topology, grantee, { servesRpc: this.topology.rpcQueues.length > 0, runsTasks: this.topology.tasks.length > 0 });
    // A container runs every listener of the module: its exactly-once ones keep their dedupe records.
    grantExactlyOnceRecords(this.bus, this.topology, grantee, this.topology.listeners);
    // `lightbus run` reports its worker state by default (LightbusWorker's workerState).
    grantWorkerState(this.bus, this.topology, grantee);
    this.callers.push(grantee);
    // The worker's process derives its scope from LIGHTBUS_SERVICE_NAME (workerEnvironment).
    assignCallerScope(this.node.path, grantee, { callerScope: this.callerScope, derivedByProcess: true });
    // Read back a deployed schema when its conditional PutItem fails (SchemaStore.publish).
    this.bus.grantReadResults(grantee, { callerScope: this.callerScope });
    if (this.deployedSchemas.apis.length > 0) this.bus.grantPublishSchemas(grantee, this.deployedSchemas.apis);
    if (isEnvironmentTarget(grantee)) {
      for (const [key, value] of Object.entries(this.workerEnvironment)) grantee.addEnvironment(key, value);
    }
  }
}

/** LIGHTBUS_WORKER_STATE of a function: the APIs and listeners it serves (runtime/worker-state/lambda-setting.ts). */
function workerStateOf(group: FunctionGroup): string {
  return lambdaWorkerStateValue({
    apis: group.roles.flatMap((r) => (r.kind === 'rpc' ? [r.model.api] : [])),
    listeners: group.roles.flatMap((r) => (r.kind === 'listener' ? [r.model.listenerName] : [])),
  });
}

/** What every worker function of a service shares. */
interface WorkerFunctionContext {
  readonly props: LightbusServiceProps;
  readonly code: lambda.Code;
  readonly runtime: lambda.Runtime;
  /** The scheduled tasks this function runs (the default function runs them all). */
  readonly tasks: readonly TaskModel[];
  /** A function that only publishes the schemas (a module with no queues and no tasks). */
  readonly schemasOnly: boolean;
  /** The function's own log group and execution role (worker-logging.ts). */
  readonly logGroup: logs.ILogGroup;
  readonly role: iam.IRole;
}
