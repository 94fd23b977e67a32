import type { BusClient } from '../../runtime';
import type { AwsSettings } from '../../runtime/config';
import type { Logger } from '../../runtime/logging';
import type { AwsClients } from '../../runtime/transport';
import type { DeadLetterListing, RedriveReport } from '../dead-letters';
import { LiveTraffic, type TrafficBatch, type TrafficStats } from './live-traffic';
import { describeProblem, type PageProblem } from './problems';
import { readBusOverview, type BusOverview } from './sources/bus-overview';
import { CallFeed, type CallFeedStatus } from './sources/call-feed';
import { DeadLetterQueues } from './sources/dead-letter-queues';
import { EventFeed } from './sources/event-feed';
import { readWorkerStates } from './sources/worker-states';
import { buildTrace, type TraceView } from './trace';
import type { RoutedListener, TrafficFilter, TrafficItem } from './traffic';

export interface DashboardOptions {
  /** A bus client on the bus to show: its settings name the bus, its AWS clients reach it. */
  readonly bus: BusClient;
  readonly aws: AwsSettings;
  /** How the page names the endpoint ("AWS" or the URL). Never credentials. */
  readonly endpointLabel: string;
  /** APIs the page lists even before anything is published (a bus module's, with --bus). */
  readonly knownApis?: readonly string[];
  /** Items the live view keeps (server and page). @default 2000 */
  readonly capacity?: number;
  /** How long an overview is reused, ms. @default 3000 */
  readonly overviewMaxAgeMs?: number;
  readonly logger: Logger;
  /** Receivers on the temporary event queue. @default 8 */
  readonly eventReceivers?: number;
}

export type OverviewResult = { readonly ok: true; readonly overview: BusOverview } | { readonly ok: false; readonly problem: PageProblem };

export interface FeedStatus {
  readonly events: { readonly state: 'running' | 'unavailable' | 'stopped'; readonly reason?: string; readonly rule?: string; readonly queue?: string };
  readonly calls: CallFeedStatus;
}

/**
 * What the dashboard's HTTP app reads (dashboard.ts implements it against a bus; the unit tests
 * stub it). Read-only except `redrive`.
 */
export interface DashboardData {
  readonly busName: string;
  readonly endpointLabel: string;
  readonly capacity: number;
  overview(): Promise<OverviewResult>;
  feeds(): FeedStatus;
  trafficStats(): TrafficStats;
  traffic(filter: TrafficFilter, limit?: number): TrafficItem[];
  subscribe(deliver: (batch: TrafficBatch) => void): () => void;
  trace(traceId: string): TraceView | undefined;
  deadLetters(queueName: string): Promise<DeadLetterListing>;
  redrive(queueName: string, ids?: readonly string[]): Promise<RedriveReport>;
}

/** The dashboard against one bus: an overview read on demand, live traffic from two feeds. */
export class Dashboard implements DashboardData {
  public readonly busName: string;
  public readonly endpointLabel: string;
  public readonly capacity: number;
  private readonly clients: AwsClients;
  private readonly live: LiveTraffic;
  private readonly eventFeed: EventFeed;
  private readonly callFeed: CallFeed;
  private readonly dlq: DeadLetterQueues;
  private eventStatus: FeedStatus['events'] = { state: 'stopped' };
  private cached: { at: number; result: Promise<OverviewResult> } | undefined;
  /** The last read failed: it is retried sooner (1 s), but not on every event. */
  private lastReadFailed = false;
  private routes: readonly { events: readonly string[]; routed: RoutedListener }[] = [];
  private readonly stopping = new AbortController();

  public constructor(private readonly options: DashboardOptions) {
    const bus = options.bus;
    this.busName = bus.settings.busName;
    this.endpointLabel = options.endpointLabel;
    this.capacity = options.capacity ?? 2000;
    this.clients = bus.transports.clients;
    this.live = new LiveTraffic(this.capacity);
    const location = bus.transports.location;
    this.eventFeed = new EventFeed({
      clients: this.clients,
      busName: this.busName,
      eventBusName: location.eventBusName,
      routeOf: (api, event) => this.routeOf(api, event),
      onEvent: (event) => this.live.add(event),
      receivers: options.eventReceivers ?? 8,
    });
    this.callFeed = new CallFeed({ clients: this.clients, aws: options.aws, resultsTable: location.resultsTable, onCall: (call) => this.live.add(call) });
    this.dlq = new DeadLetterQueues(this.clients, this.busName);
  }

  /** Starts both feeds; a feed that cannot start is reported on the page, not thrown. */
  public async start(): Promise<void> {
    await this.overview();
    const where = { endpoint: this.endpointLabel, busName: this.busName };
    try {
      await this.eventFeed.start();
      const temporary = this.eventFeed.temporaryResources;
      this.eventStatus = { state: 'running', ...(temporary ?? {}) };
    } catch (error) {
      const problem = describeProblem(error, where);
      this.eventStatus = { state: 'unavailable', reason: `${problem.title}: ${problem.detail}` };
      this.options.logger.warn('Live events unavailable', { problem: problem.title });
    }
    try {
      await this.callFeed.start();
    } catch (error) {
      const problem = describeProblem(error, where);
      this.callFeed.status = { state: 'unavailable', reason: `${problem.title}: ${problem.detail}` };
    }
  }

  /** Stops the feeds and removes the temporary rule and queue. */
  public async stop(): Promise<void> {
    this.stopping.abort();
    this.live.close();
    const problems = await this.eventFeed.stop();
    await this.callFeed.stop();
    if (problems.length > 0) this.options.logger.error('Could not remove every temporary resource; remove them by hand', { problems });
  }

  public overview(): Promise<OverviewResult> {
    const now = Date.now();
    const maxAge = this.lastReadFailed ? 1000 : (this.options.overviewMaxAgeMs ?? 3000);
    if (this.cached !== undefined && now - this.cached.at < maxAge) return this.cached.result;
    const result = this.readOverview();
    this.cached = { at: now, result };
    return result;
  }

  public feeds(): FeedStatus {
    return { events: this.eventStatus, calls: this.callFeed.status };
  }

  public trafficStats(): TrafficStats {
    return this.live.stats;
  }

  public traffic(filter: TrafficFilter, limit?: number): TrafficItem[] {
    return this.live.snapshot(filter, limit);
  }

  public subscribe(deliver: (batch: TrafficBatch) => void): () => void {
    return this.live.subscribe(deliver);
  }

  public trace(traceId: string): TraceView | undefined {
    return buildTrace(traceId, this.live.snapshot());
  }

  public async deadLetters(queueName: string): Promise<DeadLetterListing> {
    return this.dlq.list(queueName, await this.knownDeadLetterQueues());
  }

  public async redrive(queueName: string, ids?: readonly string[]): Promise<RedriveReport> {
    const report = await this.dlq.redrive(queueName, await this.knownDeadLetterQueues(), ids);
    this.options.logger.info('Redrove dead letters from the dashboard', { queue: queueName, moved: report.moved, method: report.method });
    return report;
  }

  private async knownDeadLetterQueues(): Promise<readonly string[]> {
    const result = await this.overview();
    return result.ok ? result.overview.deadLetterQueues : [];
  }

  private async readOverview(): Promise<OverviewResult> {
    const location = this.options.bus.transports.location;
    try {
      const workers = await readWorkerStates(this.options.bus, { signal: this.stopping.signal });
      const overview = await readBusOverview({
        clients: this.clients,
        busName: this.busName,
        eventBusName: location.eventBusName,
        resultsTable: location.resultsTable,
        workers,
        ...(this.options.knownApis ? { knownApis: this.options.knownApis } : {}),
      });
      this.routes = overview.listeners.map((l) => ({
        events: l.events,
        routed: { rule: l.rule, ...(l.service ? { service: l.service } : {}), ...(l.listener ? { listener: l.listener } : {}) },
      }));
      this.lastReadFailed = false;
      return { ok: true, overview };
    } catch (error) {
      this.lastReadFailed = true;
      return { ok: false, problem: describeProblem(error, { endpoint: this.endpointLabel, busName: this.busName }) };
    }
  }

  /** The listeners whose rules match an event (from the last overview). */
  private routeOf(api: string, event: string): RoutedListener[] {
    void this.overview(); // keeps the routes current (cached for overviewMaxAgeMs)
    const name = `${api}.${event}`;
    return this.routes.filter((r) => r.events.includes(name)).map((r) => r.routed);
  }
}
