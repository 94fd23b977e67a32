import type { BusClient } from '../runtime/client';
import { Dispatcher, type DispatchOutcome, type InboundMessage } from '../runtime/dispatch';
import type { Logger } from '../runtime/logging';
import type { QueueRole, Topology } from '../runtime/topology';
import { provisionTopology } from './provision';
import { QueueConsumer } from './queue-consumer';
import { SchemaPublisher } from './schema-publisher';
import { TypedEmitter } from './typed-emitter';

/** Which parts of the bus module a worker runs (`--only` / `--skip`). */
export interface WorkerFeatures {
  /** Serve the registered APIs' procedures. @default true */
  readonly rpcs: boolean;
  /** Run the listeners. @default true */
  readonly events: boolean;
}

export interface WorkerOptions {
  /**
   * Create or update the topology's resources before starting (for emulators and development).
   * In the cloud the CDK construct owns the resources, so `lightbus run` without `--local` does not.
   * @default false
   */
  readonly provision?: boolean;
  /** @default { rpcs: true, events: true } */
  readonly features?: Partial<WorkerFeatures>;
  /** Messages in flight per queue. @default 32 */
  readonly concurrency?: number;
  /** Concurrent long polls per queue. @default ceil(concurrency / 10) */
  readonly pollers?: number;
  /** @default 20 */
  readonly waitTimeSeconds?: number;
  /** How long stop() waits for messages in flight before returning them to their queues. @default 10000 */
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
}

export type WorkerEvents = {
  started: [summary: { queues: string[]; rpcs: string[]; listeners: string[] }];
  message_received: [message: InboundMessage];
  message_processed: [message: InboundMessage, outcome: DispatchOutcome, durationMs: number];
  error: [error: Error, context: { queueName: string; operation: string }];
  stopping: [];
  stopped: [summary: { finished: number; returned: number }];
};

/**
 * Runs a bus module's procedures and listeners against SQS: `lightbus run`, or embedded in any
 * long-running Node process.
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
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopPromise: Promise<void> | undefined;

  public constructor(
    public readonly bus: BusClient,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.dispatcher = new Dispatcher(bus);
    this.logger = options.logger ?? bus.logger;
    this.features = { rpcs: true, events: true, ...(options.features ?? {}) };
  }

  public get topology(): Topology {
    return this.bus.topology();
  }

  public get isRunning(): boolean {
    return this.state === 'running';
  }

  public async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`The worker cannot start: it is ${this.state}.`);
    this.state = 'starting';
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
        queueUrl: await this.bus.transports.queues.locator.url(model.queueName),
        visibilityTimeoutSeconds: model.visibilityTimeoutSeconds,
        ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
        ...(this.options.pollers !== undefined ? { pollers: this.options.pollers } : {}),
        ...(this.options.waitTimeSeconds !== undefined ? { waitTimeSeconds: this.options.waitTimeSeconds } : {}),
      });
      consumer.on('message_received', (m) => this.emit('message_received', m));
      consumer.on('message_processed', (m, o, d) => this.emit('message_processed', m, o, d));
      consumer.on('error', (e, c) => this.emit('error', e, c));
      this.consumers.push(consumer);
    }
    for (const consumer of this.consumers) consumer.start();
    this.state = 'running';
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
    };
    if (summary.queues.length === 0) {
      this.logger.warn('The bus module registers no APIs and no listeners (or --only/--skip left nothing): nothing to do');
    }
    this.logger.info('Worker started', {
      bus: topology.busName,
      service: topology.serviceName,
      serving: summary.rpcs,
      listening: summary.listeners,
    });
    this.emit('started', summary);
  }

  /** Stops polling, drains messages in flight (bounded by drainTimeoutMs), and closes the bus. */
  public stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.emit('stopping');
    await this.schemaPublisher?.stop();
    const inFlight = this.consumers.reduce((n, c) => n + c.inFlightCount, 0);
    this.logger.info('Worker stopping: no new messages; draining those in flight', { inFlight });
    const drainTimeoutMs = this.options.drainTimeoutMs ?? 10_000;
    const results = await Promise.all(this.consumers.map((c) => c.stop(drainTimeoutMs)));
    const summary = results.reduce((acc, r) => ({ finished: acc.finished + r.finished, returned: acc.returned + r.returned }), {
      finished: 0,
      returned: 0,
    });
    this.state = 'stopped';
    this.logger.info('Worker stopped', summary);
    this.emit('stopped', summary);
  }

  private wants(role: QueueRole): boolean {
    return role.kind === 'rpc' ? this.features.rpcs : this.features.events;
  }
}
