import type { BusClient } from '../runtime/client';
import type { Logger } from '../runtime/logging';
import { apiSchema } from '../runtime/schema';

export interface SchemaPublisherOptions {
  /** How long a published schema stays valid without a refresh. */
  readonly ttlSeconds: number;
  /** How often it is refreshed. @default a third of the TTL */
  readonly refreshIntervalMs?: number;
  readonly logger: Logger;
}

/**
 * Publishes the schemas of the APIs a running worker serves, with a TTL, and refreshes them while
 * it runs: when the worker stops they expire, so callers stop trusting a contract nobody serves.
 * (A deployed service publishes at deploy time instead, with no expiry: see `schemaItems`.)
 */
export class SchemaPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly keptDeployed = new Set<string>();

  public constructor(
    private readonly bus: BusClient,
    private readonly options: SchemaPublisherOptions,
  ) {}

  public get refreshIntervalMs(): number {
    return this.options.refreshIntervalMs ?? Math.max(1000, Math.floor((this.options.ttlSeconds * 1000) / 3));
  }

  /** Publishes now, then keeps refreshing until stop(). Never throws: a failure is logged and retried. */
  public async start(): Promise<void> {
    await this.publishAll();
    this.timer = setInterval(() => {
      this.running ??= this.publishAll().finally(() => {
        this.running = undefined;
      });
    }, this.refreshIntervalMs);
    this.timer.unref();
  }

  public async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Publishes every registered API's schema once; resolves to the APIs published. */
  public async publishAll(): Promise<string[]> {
    const published: string[] = [];
    const publishedBy = `${this.bus.settings.serviceName ?? '-'}/${this.bus.settings.processName}`;
    for (const api of this.bus.registry.registeredApis) {
      const schema = apiSchema(this.bus.registry.definition(api));
      try {
        const outcome = await this.bus.schemaStore.publish(schema, { publishedBy, ttlSeconds: this.options.ttlSeconds });
        if (outcome.state === 'published') {
          published.push(api);
        } else if (!this.keptDeployed.has(api)) {
          this.keptDeployed.add(api);
          const fields = { api, localVersion: schema.version, deployedVersion: outcome.deployedVersion };
          if (outcome.deployedVersion === schema.version) {
            this.options.logger.info('A deployment published this API\'s schema; keeping it', fields);
          } else {
            this.options.logger.warn(
              'A deployment published a different schema for this API; callers validate against the deployed one, not this worker\'s',
              fields,
            );
          }
        }
      } catch (error) {
        this.options.logger.warn('Could not publish an API schema; will retry', { api, error: error as Error });
      }
    }
    if (published.length) {
      this.options.logger.debug('Published API schemas', { apis: published, ttlSeconds: this.options.ttlSeconds });
    }
    return published;
  }
}
