import { settingsForApi, type BusSettings } from '../../runtime/config';
import { eventTopicName, isSnsTransport, type EventTransportName } from '../../runtime/topology';
import type { AwsClients } from '../../runtime/transport';
import { findTappedTopics } from '../live-traffic';
import { ReplayRefusedError } from './errors';

/**
 * How an API's events travel, for history: the configuration says (apis.<api>.transports.event);
 * for an API the configuration does not name, an existing topic of the API says it is on SNS
 * (an operator may run `replay` without the services' configuration file).
 */
export async function historyTransportOf(clients: AwsClients, settings: BusSettings, api: string): Promise<EventTransportName> {
  if (settings.apis[api] !== undefined) return settingsForApi(settings, api).transports.event;
  const topics = await findTappedTopics(clients, { busName: settings.busName, api });
  if (topics.length === 0) return 'eventbridge';
  return topics.some((arn) => arn.endsWith('.fifo')) ? 'sns-fifo' : 'sns';
}

/**
 * Refuses history (`lightbus replay`, `inspect --since`) for an API whose events travel over SNS:
 * the bus's archive is EventBridge's, and SNS keeps no history, so there would be nothing to show
 * and an empty result would read as "nothing happened".
 */
export async function refuseHistoryOfSnsApi(clients: AwsClients, settings: BusSettings, api: string, command: string): Promise<void> {
  const transport = await historyTransportOf(clients, settings, api);
  if (!isSnsTransport(transport)) return;
  const topic = eventTopicName(settings.busName, api, transport === 'sns-fifo');
  throw new ReplayRefusedError(
    `${command}: API "${api}" has no history. Its events travel over SNS (transports.event: ${transport}, topic ${topic}), and SNS keeps no ` +
      "history: only events on EventBridge are archived. `lightbus inspect` without --since shows this API's events live.",
    { api, transport, topic },
  );
}
