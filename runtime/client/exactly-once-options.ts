import { formatDuration, parseDuration } from '../config/duration';
import { InvalidDefinitionError } from '../errors';
import type { ListenOptions } from './types';

/** How long an exactly-once listener remembers a handled event id unless told otherwise. */
export const DEFAULT_EXACTLY_ONCE_TTL = '7d';
/** DynamoDB TTL is coarse (items go within days of expiring) and records cost storage: a year is plenty. */
const MAX_TTL_SECONDS = 365 * 24 * 3600;

/**
 * `listen({ exactlyOnce })` as the registry keeps it: undefined for a plain listener, else the TTL
 * in seconds. The TTL must cover the listener's visibility timeout: a record that expired while its
 * handler still ran would let a redelivery run it again.
 */
export function exactlyOnceSettings(
  listenerName: string,
  option: ListenOptions['exactlyOnce'],
  visibilityTimeoutSeconds: number,
): { readonly ttlSeconds: number } | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== 'object' || option === null)) {
    throw new InvalidDefinitionError(`listen(${listenerName}): exactlyOnce must be true, false or { ttl }; got ${typeof option}.`, {
      listenerName,
    });
  }
  const ttl = option === true ? DEFAULT_EXACTLY_ONCE_TTL : (option.ttl ?? DEFAULT_EXACTLY_ONCE_TTL);
  const ms = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
  const ttlSeconds = ms === undefined ? Number.NaN : Math.ceil(ms / 1000);
  if (!(ttlSeconds >= visibilityTimeoutSeconds && ttlSeconds <= MAX_TTL_SECONDS)) {
    throw new InvalidDefinitionError(
      `listen(${listenerName}): exactlyOnce.ttl must be a duration from the visibility timeout ` +
        `(${formatDuration(visibilityTimeoutSeconds * 1000)}) to 365d, e.g. "7d"; got ${JSON.stringify(ttl)}.`,
      { listenerName },
    );
  }
  return { ttlSeconds };
}
