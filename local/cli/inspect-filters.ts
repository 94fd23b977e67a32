import { ConfigurationError } from '../../runtime/errors';
import { eventDetailType, eventSource } from '../../runtime/messages';

/** What `inspect` filters on that EventBridge can match itself. `*` in api and event is a wildcard. */
export interface InspectFilters {
  readonly api?: string;
  readonly event?: string;
  readonly id?: string;
}

/** A name, or a pattern of name characters with `*` (any characters, dots included). */
const NAME_OR_PATTERN = /^[A-Za-z0-9_.*]+$/;

/** `--event auth.userCreated` is short for `--api auth --event userCreated`; `--api 'audit.*'` is a wildcard. */
export function normaliseFilters(options: InspectFilters): InspectFilters {
  let { api, event } = options;
  if (event !== undefined && event.includes('.')) {
    const dot = event.lastIndexOf('.');
    const qualifiedApi = event.slice(0, dot);
    if (api !== undefined && api !== qualifiedApi) {
      throw new ConfigurationError(`--event ${event} names the API "${qualifiedApi}", but --api says "${api}".`);
    }
    api = qualifiedApi;
    event = event.slice(dot + 1);
  }
  for (const [flag, value] of [['--api', api], ['--event', event]] as const) {
    if (value !== undefined && !NAME_OR_PATTERN.test(value)) {
      throw new ConfigurationError(
        `${flag}: "${value}" is neither a name nor a pattern; use letters, digits, "_" and "." (and "*" for any characters, e.g. 'audit.*').`,
      );
    }
  }
  return {
    ...(api !== undefined ? { api } : {}),
    ...(event !== undefined ? { event } : {}),
    ...(options.id !== undefined ? { id: options.id } : {}),
  };
}

const isPattern = (value: string | undefined): boolean => value?.includes('*') === true;

/** One EventBridge matcher: the value itself, or a `wildcard` when it has `*`. */
function matcher(value: string): string | { wildcard: string } {
  return isPattern(value) ? { wildcard: value } : value;
}

/** The EventBridge pattern for the filters EventBridge can apply itself (API, event, id). */
export function inspectEventPattern(filters: InspectFilters): Record<string, unknown> {
  const pattern: Record<string, unknown> = {
    source: filters.api !== undefined ? [matcher(eventSource(filters.api))] : [{ prefix: 'lightbus.' }],
  };
  const detail: Record<string, unknown> = {};
  if (filters.event !== undefined) {
    if (filters.api !== undefined && !isPattern(filters.api)) pattern['detail-type'] = [matcher(eventDetailType(filters.api, filters.event))];
    else detail.event = [matcher(filters.event)];
  }
  if (filters.id !== undefined) detail.id = [filters.id];
  if (Object.keys(detail).length > 0) pattern.detail = detail;
  return pattern;
}

/** EventBridge filters already; this double-checks (and covers --event without --api). */
export function matchesFilters(event: { api: string; event: string; id: string }, filters: InspectFilters): boolean {
  return (
    (filters.api === undefined || globMatches(filters.api, event.api)) &&
    (filters.event === undefined || globMatches(filters.event, event.event)) &&
    (filters.id === undefined || event.id === filters.id)
  );
}

function globMatches(pattern: string, value: string): boolean {
  if (!isPattern(pattern)) return pattern === value;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(value);
}
