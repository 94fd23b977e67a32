import { UnknownApiError } from '../errors';
import type { Logger } from '../logging';
import type { ApiSchema } from './json-schema';
import type { SchemaStore, StoredSchema } from './store';

/** How long a schema read from the bus is used before it is read again. */
export const DEFAULT_SCHEMA_REFRESH_MS = 60_000;
/** How long "no schema on the bus" is remembered before looking again. */
export const DEFAULT_MISSING_RECHECK_MS = 5_000;
/** At most one "sending unvalidated" warning per API in this interval. */
const WARN_INTERVAL_MS = 60_000;

export interface SchemaResolution {
  readonly schema: ApiSchema | undefined;
  /** Where it came from, or why there is none (for warnings and errors). */
  readonly source: string;
}

interface CacheEntry {
  readonly fetchedAt: number;
  readonly stored: StoredSchema | undefined;
  readonly reason: string;
}

export interface BusSchemasOptions {
  /** The schema store of the bus's results table (created on first use). */
  readonly store: () => SchemaStore;
  readonly logger: Logger;
  readonly refreshIntervalMs?: number;
  readonly missingRecheckMs?: number;
}

/**
 * The schemas a bus client knows beyond its own definitions: those loaded from a dump
 * (`lightbus run --schema`, pinned) and those published on the bus by workers and deployments,
 * read lazily per API and cached. Local definitions stay the source of truth when present: these
 * are for calling APIs this process has no definition of.
 */
export class BusSchemas {
  public refreshIntervalMs: number;
  public missingRecheckMs: number;
  private readonly pinnedSchemas = new Map<string, ApiSchema>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private readonly warnedAt = new Map<string, number>();

  public constructor(private readonly options: BusSchemasOptions) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_SCHEMA_REFRESH_MS;
    this.missingRecheckMs = options.missingRecheckMs ?? DEFAULT_MISSING_RECHECK_MS;
  }

  /** Loads schemas (e.g. a production dump): they win over what the bus publishes. */
  public pin(schemas: Iterable<ApiSchema>): void {
    for (const schema of schemas) this.pinnedSchemas.set(schema.api, schema);
  }

  public pinned(api: string): ApiSchema | undefined {
    return this.pinnedSchemas.get(api);
  }

  public get pinnedApis(): string[] {
    return [...this.pinnedSchemas.keys()].sort();
  }

  /** Forgets cached bus schemas (one API, or all), so the next lookup reads the bus again. */
  public invalidate(api?: string): void {
    if (api === undefined) this.cache.clear();
    else this.cache.delete(api);
  }

  /** The schema to validate an API against: pinned, else the bus's (cached), else none with the reason. */
  public async resolve(api: string): Promise<SchemaResolution> {
    const pinned = this.pinnedSchemas.get(api);
    if (pinned) return { schema: pinned, source: 'a loaded schema file (--schema)' };
    const now = Date.now();
    let entry = this.cache.get(api);
    const stale =
      !entry ||
      now - entry.fetchedAt >= (entry.stored ? this.refreshIntervalMs : this.missingRecheckMs) ||
      (entry.stored?.expiresAt !== undefined && entry.stored.expiresAt * 1000 <= now);
    if (stale) entry = await this.fetch(api);
    const stored = entry?.stored;
    if (stored && !(stored.expiresAt !== undefined && stored.expiresAt * 1000 <= Date.now())) {
      return { schema: stored.schema, source: `the bus (published by ${stored.publishedBy})` };
    }
    return { schema: undefined, source: entry?.reason ?? 'no schema is published on the bus' };
  }

  /**
   * For an API this process has no definition of: its schema, or undefined (after a warning) when
   * there is none; with strictValidation a missing schema is an UnknownApiError instead.
   */
  public async forUndefinedApi(api: string, strict: boolean, knownApis: readonly string[]): Promise<ApiSchema | undefined> {
    const { schema, source } = await this.resolve(api);
    if (schema) return schema;
    if (strict) {
      throw new UnknownApiError(
        api,
        knownApis,
        `No schema for it either: ${source}. With strictValidation, a message to an API without a definition ` +
          'or a published schema is refused (start a worker that serves it, or load a dump with --schema).',
      );
    }
    const last = this.warnedAt.get(api);
    if (last === undefined || Date.now() - last >= WARN_INTERVAL_MS) {
      this.warnedAt.set(api, Date.now());
      this.options.logger.warn(`No schema for API "${api}": sending without validation`, {
        api,
        reason: source,
        hint: 'start a worker that serves it (it publishes the schema), pass its definition, or set strictValidation to refuse',
      });
    }
    return undefined;
  }

  private fetch(api: string): Promise<CacheEntry> {
    const running = this.inflight.get(api);
    if (running) return running;
    const promise = this.read(api).finally(() => this.inflight.delete(api));
    this.inflight.set(api, promise);
    return promise;
  }

  private async read(api: string): Promise<CacheEntry> {
    const fetchedAt = Date.now();
    let entry: CacheEntry;
    try {
      const store = this.options.store();
      const found = await store.get(api);
      switch (found.state) {
        case 'found':
          entry = { fetchedAt, stored: found.stored, reason: '' };
          break;
        case 'expired':
          entry = {
            fetchedAt,
            stored: undefined,
            reason: `the schema published by ${found.stored.publishedBy} expired at ${new Date((found.stored.expiresAt ?? 0) * 1000).toISOString()} (no worker has refreshed it)`,
          };
          break;
        case 'invalid':
          entry = { fetchedAt, stored: undefined, reason: `the schema item on the bus is unreadable: ${found.problem}` };
          break;
        default:
          entry = { fetchedAt, stored: undefined, reason: `no schema is published on the bus (table ${store.table})` };
      }
    } catch (error) {
      entry = { fetchedAt, stored: undefined, reason: `the bus's schemas could not be read: ${(error as Error).name}: ${(error as Error).message}` };
    }
    this.cache.set(api, entry);
    return entry;
  }
}
