import type { BusClient } from '../runtime/client';
import { Dispatcher, type DispatchOutcome, type InboundMessage } from '../runtime/dispatch';
import { ConfigurationError } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import type { QueueRole, Topology } from '../runtime/topology';
import { describeWorker, workerStateStoreFor, WorkerStateReporter } from '../runtime/worker-state';
import { provisionTopology } from './provision';
import { QueueConsumer, type FireFollowing } from './queue-consumer';
import { SchemaPublisher } from './schema-publisher';
import { LocalTaskScheduler, type LocalTaskOutcome } from './task-runner';
import { TypedEmitter } from './typed-emitter';
import { defaultLongPollRecheckMs } from './poll-stagger';
import { localExecutionTimeout, type ExecutionTimeoutOptions } from './execution-timeouts';

/** Which parts of the bus module a worker runs (`--only` / `--skip`). */
export interface WorkerFeatures {
  /** Serve the registered APIs' procedures. @default true */
  readonly rpcs: boolean;
  /** Run the listeners. @default true */
  readonly events: boolean;
  /** Run the scheduled tasks (`bus.every()`, `bus.schedule()`) on timers in this process. @default true */
  readonly tasks: boolean;
}

export interface WorkerOptions extends ExecutionTimeoutOptions {
  /**
   * Create or update the topology's resources before starting (for emulators and development).
   * In the cloud the CDK construct owns the resources, so `lightbus run` without `--local` does not.
   * @default false
   */
  readonly provision?: boolean;
  /** @default { rpcs: true, events: true, tasks: true } */
  readonly features?: Partial<WorkerFeatures>;
  /** Messages in flight per queue (a handler that only tolerates fewer at once: set it lower). @default 64 (`DEFAULT_CONCURRENCY`) */
  readonly concurrency?: number;
  /** Concurrent long polls per queue. @default ceil(concurrency / 10) */
  readonly pollers?: number;
  /** @default 20 */
  readonly waitTimeSeconds?: number;
  /**
   * The endpoint's long-poll re-check interval, over which each queue's pollers spread their long
   * polls so that several waiting polls answer sooner than one: emulators answer a long poll on an
   * interval, SQS at once. See QueueConsumerOptions. 0 turns it off.
   * @default 100 (MiniStack's) with a custom endpoint (settings' aws.endpoint, AWS_ENDPOINT_URL_SQS
   * or AWS_ENDPOINT_URL); 0 on AWS
   */
  readonly longPollRecheckMs?: number;
  /**
   * How long stop() waits for messages in flight before returning them to their queues. Long polls
   * under way at stop are let end (they can still take messages): a stop takes at most
   * max(drainTimeoutMs, waitTimeSeconds) plus the calls that return messages. @default 10000
   */
  readonly drainTimeoutMs?: number;
  /** @default the bus's logger */
  readonly logger?: Logger;
  /**
   * Publish the registered APIs' schemas on the bus at start and refresh them while running
   * (they expire after the worker stops). @default true
   */
  readonly publishSchemas?: boolean;
  /** How long a published schema stays valid without a refresh. @default the bus's schemaTtlSeconds (60) */
  readonly schemaTtlSeconds?: number;
  /**
   * Claim each scheduled task time in the results table before running it, so that with several
   * worker processes of the service (or its Lambda) each scheduled time runs once. Without it every
   * process runs every task. @default true
   */
  readonly taskLock?: boolean;
  /**
   * Report this worker's state on the bus: `workerStarted` once it runs, `workerHeartbeat` every
   * `workerHeartbeatSeconds` (a bus setting, default 60), `workerStopping` at stop; each as an event
   * of `lightbus.state` and as the item `lightbus inspect --workers` reads (docs/operations.md,
   * "Worker state"). @default true
   */
  readonly workerState?: boolean;
}

export type WorkerEvents = {
  started: [summary: { queues: string[]; rpcs: string[]; listeners: string[]; tasks: string[] }];
  message_received: [message: InboundMessage];
  message_processed: [message: InboundMessage, outcome: DispatchOutcome, durationMs: number];
  error: [error: Error, context: { queueName: string; operation: string }];
  /** A scheduled task's run ended (or was skipped). */
  task_finished: [taskName: string, scheduledTime: Date, outcome: LocalTaskOutcome];
  stopping: [];
  /**
   * `finished`: messages in flight at stop that finished; `returned`: those the drain timeout gave
   * back to their queue; `released`: messages that long polls under way at stop returned, given
   * back unstarted (both once the last poll under way ended).
   */
  stopped: [summary: { finished: number; returned: number; released: number }];
};

/**
 * Runs a bus module's procedures and listeners against SQS: `lightbus run`, or embedded in any
 * long-running Node process. With buffered fire delivery, a listener's message is deleted only
 * once the events its handler fired are accepted, and retried if they are not.
 *
 * @example
 * const worker = new LightbusWorker(bus, { provision: true });
 * await worker.start();
 * // ...
 * await worker.stop();
 */
export class LightbusWorker extends TypedEmitter<WorkerEvents> {
  public readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  private readonly features: WorkerFeatures;
  private consumers: QueueConsumer[] = [];
  private schemaPublisher: SchemaPublisher | undefined;
  private taskScheduler: LocalTaskScheduler | undefined;
  private stateReporter: WorkerStateReporter | undefined;
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopPromise: Promise<void> | undefined;
  private startPromise: Promise<void> | undefined;

  public constructor(
    public readonly bus: BusClient,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.dispatcher = new Dispatcher(bus, { executionTimeout: localExecutionTimeout(options) });
    this.logger = options.logger ?? bus.logger;
    this.features = { rpcs: true, events: true, tasks: true, ...(options.features ?? {}) };
  }

  public get topology(): Topology {
    return this.bus.topology();
  }

  public get isRunning(): boolean {
    return this.state === 'running';
  }

  public start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error(`The worker cannot start: it is ${this.state}.`));
    this.state = 'starting';
    this.startPromise = this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const topology = this.topology;
    const roles = [...this.dispatcher.queues.values()].filter((role) => this.wants(role));
    if (this.options.provision) {
      const provisioned = await provisionTopology(topology, this.bus.transports.clients, this.logger);
      for (const [name, url] of provisioned.queueUrls) this.bus.transports.queues.locator.remember(name, url);
    }
    if (this.options.publishSchemas !== false && this.bus.registry.registeredApis.length > 0) {
      this.schemaPublisher = new SchemaPublisher(this.bus, {
        ttlSeconds: this.options.schemaTtlSeconds ?? this.bus.settings.schemaTtlSeconds,
        logger: this.logger,
      });
      await this.schemaPublisher.start();
    }
    for (const role of roles) {
      const model = role.model;
      const consumer = new QueueConsumer(this.bus.transports.clients, this.bus.transports.queues, this.dispatcher, this.logger, {
        queueName: model.queueName,
        queueUrl: await this.queueUrl(model.queueName),
        visibilityTimeoutSeconds: model.visibilityTimeoutSeconds,
        ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
        ...(this.options.pollers !== undefined ? { pollers: this.options.pollers } : {}),
        ...(this.options.waitTimeSeconds !== undefined ? { waitTimeSeconds: this.options.waitTimeSeconds } : {}),
        longPollRecheckMs: this.options.longPollRecheckMs ?? defaultLongPollRecheckMs(this.bus.settings.aws.endpoint),
        ...this.fireFollowingFor(role),
      });
      consumer.on('message_received', (m) => this.emit('message_received', m));
      consumer.on('message_processed', (m, o, d) => this.emit('message_processed', m, o, d));
      consumer.on('error', (e, c) => this.emit('error', e, c));
      this.consumers.push(consumer);
    }
    for (const consumer of this.consumers) consumer.start();
    if (this.features.tasks && this.bus.registry.tasks.length > 0) {
      this.taskScheduler = new LocalTaskScheduler(this.bus, { logger: this.logger, lock: this.options.taskLock ?? true });
      this.taskScheduler.on('task_finished', (t, s, o) => this.emit('task_finished', t, s, o));
      this.taskScheduler.start();
    }
    this.state = 'running';
    if (this.options.workerState !== false) await this.startStateReports();
    const summary = {
      queues: this.consumers.map((c) => c.queueName),
      rpcs: roles.flatMap((r) =>
        r.kind === 'rpc'
          ? Object.keys(this.bus.registry.definition(r.model.api).rpcs).map((p) => `${r.model.api}.${p}`)
          : [],
      ),
      listeners: roles.flatMap((r) =>
        r.kind === 'listener' ? [`${r.model.listenerName} ← ${r.model.events.map((e) => `${e.api}.${e.event}`).join(', ')}`] : [],
      ),
      tasks: this.taskScheduler ? this.bus.registry.tasks.map((t) => `${t.taskName} ${t.schedule.expression}`) : [],
    };
    if (summary.queues.length === 0 && summary.tasks.length === 0) {
      this.logger.warn('The bus module registers no APIs, listeners or tasks (or --only/--skip left nothing): nothing to do');
    }
    this.logger.info('Worker started', {
      bus: topology.busName,
      service: topology.serviceName,
      serving: summary.rpcs,
      listening: summary.listeners,
      tasks: summary.tasks,
    });
    this.emit('started', summary);
    await this.bus.hooks.runAfter('workerStarted', { ...this.identity(), serviceName: this.bus.settings.serviceName, ...summary });
  }

  /**
   * Stops polling, drains messages in flight (bounded by drainTimeoutMs), then flushes events fired
   * with buffered delivery (`bus.flush()`). Rejects with the flush's UndeliveredEventsError, once
   * stopped, if events were lost; those of listener messages that are being retried for them are
   * not (see fireFollowingFor). The bus client stays open: close it with `bus.close()`.
   */
  public stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    // A stop that arrives mid-start (SIGTERM while provisioning) waits for the start to finish,
    // then stops what it started: never a half-started worker left polling.
    await this.startPromise?.catch(() => undefined);
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.emit('stopping');
    await this.bus.hooks.runAfter('workerStopping', this.identity());
    await Promise.all([this.schemaPublisher?.stop(), this.stateReporter?.stop()]);
    const inFlight = this.consumers.reduce((n, c) => n + c.inFlightCount, 0);
    // Polls under way are let finish (at most waitTimeSeconds): see QueueConsumer.stop().
    this.logger.info('Worker stopping: no new polls; draining the messages in flight and letting polls under way end', { inFlight });
    const drainTimeoutMs = this.options.drainTimeoutMs ?? 10_000;
    // Listener messages whose handlers returned wait for their buffered events before being
    // deleted: send those now rather than after the linger, so the drain does not wait it out.
    if (this.bus.transports.hasPublisher) this.bus.transports.publisher.sendNow();
    const [results] = await Promise.all([
      Promise.all(this.consumers.map((c) => c.stop(drainTimeoutMs))),
      this.taskScheduler?.stop(drainTimeoutMs),
    ]);
    const summary = results.reduce(
      (acc, r) => ({ finished: acc.finished + r.finished, returned: acc.returned + r.returned, released: acc.released + r.released }),
      { finished: 0, returned: 0, released: 0 },
    );
    // After the drain: the handlers that just finished may have buffered events.
    const flushError = await this.bus.flush().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (flushError !== undefined) this.logger.error('Events fired with buffered delivery were not delivered before the worker stopped', { error: flushError as Error });
    this.state = 'stopped';
    this.logger.info('Worker stopped', summary);
    this.emit('stopped', summary);
    await this.bus.hooks.runAfter('workerStopped', { ...this.identity(), ...summary });
    if (flushError !== undefined) throw flushError;
  }

  /**
   * Buffered fire delivery: a listener's message is deleted once the events its handler fired are
   * accepted, and retried if they are not (as the Lambda handler reports its record failed).
   * Procedures are left out, as on Lambda: the call's claim would drop the redelivery, so their
   * undelivered events are only logged. Confirmed delivery needs none of it, and pays nothing.
   */
  private fireFollowingFor(role: QueueRole): { fireFollowing?: FireFollowing } {
    if (role.kind !== 'listener' || this.bus.settings.fire.delivery !== 'buffered') return {};
    return { fireFollowing: { run: (fireOrigin, fn) => this.bus.followFires(fireOrigin, fn) } };
  }

  /** The queue's URL; a queue that does not exist is named, with what to do about it. */
  private async queueUrl(queueName: string): Promise<string> {
    try {
      return await this.bus.transports.queues.locator.url(queueName);
    } catch (error) {
      const missing = /NonExistentQueue|QueueDoesNotExist/.test(`${(error as Error).name} ${(error as Error).message}`);
      if (!missing) throw error;
      throw new ConfigurationError(
        `Queue "${queueName}" does not exist (bus "${this.bus.settings.busName}"). Deploy the service's stack (LightbusService), ` +
          'or run against an emulator with --local (provision: true), which creates it.',
        { queue: queueName },
      );
    }
  }

  /** Reports `workerStarted` (what this worker serves, after --only/--skip), then heartbeats until stop. */
  private async startStateReports(): Promise<void> {
    this.stateReporter = new WorkerStateReporter(
      workerStateStoreFor(this.bus),
      describeWorker(this.topology, { api: () => this.features.rpcs, listener: () => this.features.events }),
      { runtime: 'local', heartbeatSeconds: this.bus.settings.workerHeartbeatSeconds, process: this.bus.settings.processName, logger: this.logger },
    );
    await this.stateReporter.start();
  }

  /** This worker's id in its state reports (`inspect --workers`), once started with worker state on. */
  public get workerId(): string | undefined {
    return this.stateReporter?.workerId;
  }

  /** What the worker lifecycle hooks are told about this worker. */
  private identity(): { busName: string; processName: string } {
    return { busName: this.bus.settings.busName, processName: this.bus.settings.processName };
  }

  private wants(role: QueueRole): boolean {
    return role.kind === 'rpc' ? this.features.rpcs : this.features.events;
  }
}
