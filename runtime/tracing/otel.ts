/**
 * `@opentelemetry/api`, an optional peer dependency: loaded on first use with a guarded
 * `require()`, the answer cached. Without it lightbus still carries trace context (its own ids);
 * with it, spans go to whatever tracer provider the application registered.
 */
import type * as OtelApi from '@opentelemetry/api';

export type OpenTelemetryApi = typeof OtelApi;

/** `undefined`: not looked for yet; `null`: looked for, not installed (or switched off). */
let loaded: OpenTelemetryApi | null | undefined;

function load(): OpenTelemetryApi | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as OpenTelemetryApi;
  } catch {
    return null;
  }
}

/** The OpenTelemetry API if it is installed, else undefined. Looked for once per process. */
export function openTelemetry(): OpenTelemetryApi | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

/**
 * Overrides the lookup: `false` behaves as if `@opentelemetry/api` were not installed, an API
 * object is used as given, `'auto'` looks for the package again on next use. For tests and the
 * bench, which compare both paths in one process.
 */
export function useOpenTelemetry(api: OpenTelemetryApi | false | 'auto'): void {
  loaded = api === 'auto' ? undefined : api === false ? null : api;
}
