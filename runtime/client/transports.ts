import { ClientEnvironment, settingsForApi, type BusSettings } from '../config';
import { eventBusName, eventTopicName, resultsTableName } from '../topology';
import type { UndeliveredEvent } from '../errors';
import { PayloadBucketLocator, PayloadOffloader, PayloadResolver, PayloadStore } from '../payloads';
import { AwsClients, DedupeStore, EventPublisher, QueueLocator, QueueOperations, ResultPoller, ResultsStore } from '../transport';

/** What the bus client wants to hear from its transports. */
export interface BusTransportsOptions {
  /** An event fired with buffered delivery could not be delivered. */
  readonly onUndelivered?: (event: UndeliveredEvent) => void;
}

/**
 * Where a client finds the bus's resources: by the naming convention from the bus name, unless a
 * deployment says otherwise through the environment (see docs/wire-format.md, "Finding the bus").
 */
export interface BusLocation {
  readonly eventBusName: string;
  readonly resultsTable: string;
  /** The payload bucket, when the deployment names it (else runtime/payloads derives it when first needed). */
  readonly payloadBucket: string | undefined;
}

export function locateBus(settings: BusSettings, env: NodeJS.ProcessEnv = process.env): BusLocation {
  return {
    eventBusName: env[ClientEnvironment.EventBusName] || eventBusName(settings.busName),
    resultsTable: env[ClientEnvironment.ResultsTable] || resultsTableName(settings.busName),
    payloadBucket: env[ClientEnvironment.PayloadBucket] || undefined,
  };
}

/** The AWS-facing parts of a bus client, built on first use so that importing a bus costs nothing. */
export class BusTransports {
  public readonly clients: AwsClients;
  public readonly location: BusLocation;
  private queueOps: QueueOperations | undefined;
  private eventPublisher: EventPublisher | undefined;
  private resultsStore: ResultsStore | undefined;
  private resultPoller: ResultPoller | undefined;
  private dedupeStore: DedupeStore | undefined;
  private payloadStore: PayloadStore | undefined;
  /** Decides inline or bucket for what this client sends; touches S3 only when a payload must go there. */
  public readonly offloads: PayloadOffloader;
  /** Follows the references in what this client receives. */
  public readonly references: PayloadResolver;

  /** Each API's SNS topic, or undefined for an API on EventBridge (`apis.<api>.transports.event`), once per API. */
  private readonly topics = new Map<string, string | undefined>();
  private readonly topicOfApi = (api: string): string | undefined => {
    if (this.topics.has(api)) return this.topics.get(api);
    const transport = settingsForApi(this.settings, api).transports.event;
    const topic = transport === 'eventbridge' ? undefined : eventTopicName(this.settings.busName, api, transport === 'sns-fifo');
    this.topics.set(api, topic);
    return topic;
  };

  public constructor(
    private readonly settings: BusSettings,
    private readonly options: BusTransportsOptions = {},
  ) {
    this.clients = new AwsClients(settings.aws);
    this.location = locateBus(settings);
    this.offloads = new PayloadOffloader(() => this.payloads, settings.payloads.offloadAbove);
    this.references = new PayloadResolver(() => this.payloads);
  }

  /** The payload bucket (large parameters, results, events); built the first time a payload needs it. */
  public get payloads(): PayloadStore {
    this.payloadStore ??= new PayloadStore(
      this.clients,
      new PayloadBucketLocator(this.clients, this.settings.busName, () => this.location.eventBusName, this.location.payloadBucket),
    );
    return this.payloadStore;
  }

  public get queues(): QueueOperations {
    this.queueOps ??= new QueueOperations(this.clients, new QueueLocator(this.clients));
    return this.queueOps;
  }

  public get publisher(): EventPublisher {
    this.eventPublisher ??= new EventPublisher(this.clients, () => this.location.eventBusName, {
      lingerMs: this.settings.fire.lingerMs,
      maxBuffered: this.settings.fire.maxBuffered,
      topicOf: this.topicOfApi,
      ...(this.options.onUndelivered ? { onUndelivered: this.options.onUndelivered } : {}),
    });
    return this.eventPublisher;
  }

  /** Whether anything was fired yet (flush() then has nothing to do, and builds nothing). */
  public get hasPublisher(): boolean {
    return this.eventPublisher !== undefined;
  }

  public get results(): ResultsStore {
    this.resultsStore ??= new ResultsStore(this.clients);
    return this.resultsStore;
  }

  /** Exactly-once listeners' records (in the results table). */
  public get dedupe(): DedupeStore {
    this.dedupeStore ??= new DedupeStore(this.clients);
    return this.dedupeStore;
  }

  public get poller(): ResultPoller {
    this.resultPoller ??= new ResultPoller(this.results);
    return this.resultPoller;
  }

  public close(reason: Error): void {
    this.resultPoller?.cancelAll(reason);
    this.queueOps?.close(reason);
    this.clients.destroy();
  }
}
