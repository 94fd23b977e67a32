import { eventDetailType, eventSource } from '../messages/wire';
import { eventTopicName } from './naming';

/**
 * How an API's events travel (`apis.<api>.transports.event`): through the bus's EventBridge bus
 * (the default), or through an SNS topic of the API's own. Every service on the bus must agree on
 * an API's transport: the firing service publishes to it, the listening services subscribe to it.
 */
export type EventTransportName = 'eventbridge' | 'sns' | 'sns-fifo';

/** Whether events of this transport travel over an SNS topic (standard or FIFO). */
export function isSnsTransport(transport: EventTransportName): boolean {
  return transport === 'sns' || transport === 'sns-fifo';
}

/** The SNS topic of an API whose events travel over SNS; it belongs to the service that registers the API. */
export interface TopicModel {
  readonly api: string;
  readonly topicName: string;
  /** A FIFO topic (`sns-fifo`): each event carries a message group and is deduplicated by its id. */
  readonly fifo: boolean;
}

/**
 * A listener queue's subscription to one API's topic: raw delivery (the queue receives the
 * published message as it is, the same envelope EventBridge delivers), filtered on the body.
 */
export interface TopicSubscriptionModel {
  readonly api: string;
  readonly topicName: string;
  /**
   * Scoped to the message body, on the envelope's `source` and `detail-type`: the listener's
   * parser checks the envelope against the detail, so a publisher allowed on this API's topic can
   * deliver only this API's events (as `events:source` does for EventBridge). An attribute
   * filter would match attributes nobody checks against the body.
   */
  readonly filterPolicy: { readonly source: readonly string[]; readonly 'detail-type': readonly string[] };
  readonly filterPolicyScope: 'MessageBody';
  readonly rawMessageDelivery: true;
}

/** The transport of `api`'s events, given the per-API choices (absent: EventBridge). */
export function eventTransportOf(transports: Readonly<Record<string, EventTransportName>> | undefined, api: string): EventTransportName {
  return transports?.[api] ?? 'eventbridge';
}

/** The topics a service owns: one per registered API whose events travel over SNS. */
export function topicsOf(busName: string, registeredApis: readonly string[], transports: Readonly<Record<string, EventTransportName>> | undefined): TopicModel[] {
  return [...registeredApis]
    .filter((api) => isSnsTransport(eventTransportOf(transports, api)))
    .sort()
    .map((api) => {
      const fifo = eventTransportOf(transports, api) === 'sns-fifo';
      return { api, topicName: eventTopicName(busName, api, fifo), fifo };
    });
}

/** One subscription per SNS API among a listener's events, each filtered to that API's events the listener takes. */
export function subscriptionsOf(
  busName: string,
  events: readonly { readonly api: string; readonly event: string }[],
  transports: Readonly<Record<string, EventTransportName>> | undefined,
): TopicSubscriptionModel[] {
  const byApi = new Map<string, string[]>();
  for (const { api, event } of events) {
    if (!isSnsTransport(eventTransportOf(transports, api))) continue;
    const detailTypes = byApi.get(api) ?? [];
    detailTypes.push(eventDetailType(api, event));
    byApi.set(api, detailTypes);
  }
  return [...byApi.keys()].sort().map((api) => ({
    api,
    topicName: eventTopicName(busName, api, eventTransportOf(transports, api) === 'sns-fifo'),
    filterPolicy: { source: [eventSource(api)], 'detail-type': [...new Set(byApi.get(api))] },
    filterPolicyScope: 'MessageBody',
    rawMessageDelivery: true,
  }));
}
