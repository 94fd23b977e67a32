import type { EventDefinition } from '../api/types';
import type { ApiSettings } from '../config';
import { InvalidDefinitionError } from '../errors';
import type { OrderedOptions } from './types';

/**
 * Checks an ordered listener when it is declared (`listen(..., { ordered: { by } })`): every event
 * it takes must carry the key parameter, and travel on an SNS FIFO topic grouped by that parameter
 * (`apis.<api>.transports.event: sns-fifo`, `apis.<api>.orderedBy: <by>`), since only the
 * publisher can give an event its message group (docs/transports.md). Returns the normalised option.
 */
export function checkOrderedListener(
  listenerName: string,
  events: readonly { readonly api: string; readonly event: string; readonly definition: EventDefinition }[],
  ordered: OrderedOptions | undefined,
  settingsOf: (api: string) => ApiSettings,
): { readonly by: string } | undefined {
  if (ordered === undefined) return undefined;
  const by = (ordered as { by?: unknown } | null)?.by;
  if (typeof by !== 'string' || by.length === 0) {
    throw new InvalidDefinitionError(`listen(${listenerName}): ordered.by must name a parameter of its events; got ${JSON.stringify(by)}.`, { listenerName });
  }
  for (const { api, event, definition } of events) {
    const context = { listenerName, api, member: event, parameter: by };
    if (!Object.hasOwn(definition.parameters.shape, by)) {
      throw new InvalidDefinitionError(
        `listen(${listenerName}): ordered by parameter "${by}", but event ${api}.${event} has no parameter "${by}" ` +
          `(its parameters: ${Object.keys(definition.parameters.shape).join(', ') || 'none'}); an ordered listener takes only events that carry its key.`,
        context,
      );
    }
    const settings = settingsOf(api);
    if (settings.transports.event !== 'sns-fifo' || settings.orderedBy !== by) {
      const now = settings.transports.event === 'sns-fifo' ? `its events are grouped by ${JSON.stringify(settings.orderedBy)} (apis.${api}.orderedBy)` : `API ${api} has transports.event: ${settings.transports.event}`;
      throw new InvalidDefinitionError(
        `listen(${listenerName}): ordered by parameter "${by}" for event ${api}.${event}, but ${now}. Only an SNS FIFO topic keeps order per key: ` +
          `give API ${api} transports.event: sns-fifo and orderedBy: ${by}, the same in every service on the bus (docs/transports.md).`,
        context,
      );
    }
  }
  return { by };
}
