import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { locateBus } from '../../../runtime/client';
import { resolveBusSettings } from '../../../runtime/config';
import { ConfigurationError, MalformedMessageError } from '../../../runtime/errors';
import { createLogger, type Logger } from '../../../runtime/logging';
import { parseEventDelivery, type EventDetail } from '../../../runtime/messages';
import { fitName, type EventTransportName } from '../../../runtime/topology';
import { AwsClients } from '../../../runtime/transport';
import { BusHistory, parseTimePoint, refuseHistoryOfSnsApi } from '../../history';
import { createTemporaryResources, readTapDelivery, removeTemporaryResources, type TemporaryResources } from '../../live-traffic';
import { addCommonOptions, applyCommonOptions, parseDurationFlag, type CommonOptions } from '../common';
import { jsonPathMatcher } from '../json-path';
import { inspectEventPattern, matchesFilters, normaliseFilters } from '../inspect-filters';
import { inspectWorkers } from './inspect-workers';

export { inspectEventPattern, normaliseFilters } from '../inspect-filters';

export interface InspectOptions extends CommonOptions {
  readonly api?: string;
  readonly event?: string;
  readonly id?: string;
  readonly jsonPath?: string;
  readonly equals?: string;
  readonly format: 'pretty' | 'json';
  readonly follow?: boolean;
  /** Without `follow`, how long to show events, in milliseconds. @default 10000 */
  readonly duration?: number;
  /** Also show the history from this time on (ISO 8601, epoch ms, or a duration ago), replayed from the bus's archive into the temporary rule. */
  readonly since?: string;
}

/**
 * An event as `inspect` shows it: lightbus's event detail, the transport it came over, and the
 * id that transport gave it (EventBridge's event id, or SNS's message id: what `fire()` reported).
 */
export type InspectedEvent = EventDetail & { readonly eventBridgeId: string; readonly transport: EventTransportName };

const DEFAULT_DURATION_MS = 10_000;

/** Formats one event for the terminal. */
export function formatEvent(event: InspectedEvent, format: 'pretty' | 'json'): string {
  if (format === 'json') return JSON.stringify(event);
  const sender = event.sender ? [event.sender.service, event.sender.process].filter(Boolean).join('/') : 'unknown sender';
  // A large event's parameters are in the payload bucket: show the reference (wire-format.md, "Large payloads").
  const shown = event.parametersRef !== undefined ? { parametersRef: event.parametersRef } : event.parameters;
  const parameters = JSON.stringify(shown, null, 2).replace(/\n/g, '\n  ');
  return `${event.firedAt}  ${event.api}.${event.event}  id=${event.id}  from ${sender}  via ${event.transport}\n  ${parameters}`;
}

/**
 * Shows the events on a bus as they are fired: creates a temporary EventBridge rule and SQS
 * queue, prints what arrives (filtered), and removes both when it stops. Resolves with the number
 * of events shown.
 */
export async function inspectEvents(
  options: InspectOptions,
  io: { write: (text: string) => void; logger?: Logger; signal?: AbortSignal } = { write: (t) => process.stdout.write(t) },
): Promise<number> {
  applyCommonOptions(options);
  const settings = resolveBusSettings();
  const logger = io.logger ?? createLogger({ level: settings.logLevel });
  const filters = normaliseFilters(options);
  const duration = options.duration ?? DEFAULT_DURATION_MS;
  const matches = options.jsonPath !== undefined ? jsonPathMatcher(options.jsonPath, options.equals) : () => true;
  if (options.equals !== undefined && options.jsonPath === undefined) {
    throw new ConfigurationError('--equals needs --json-path (e.g. --json-path $.parameters.email --equals ada@example.com).');
  }
  const clients = new AwsClients(settings.aws);
  const suffix = `inspect-${randomBytes(4).toString('hex')}`;
  const resources: TemporaryResources = {
    eventBusName: locateBus(settings).eventBusName,
    ruleName: fitName(`${settings.busName}-${suffix}`, 64),
    queueName: fitName(`${settings.busName}-${suffix}`, 80),
    // APIs on SNS: the queue subscribes to their topics too (those of --api, or all of the bus's).
    topics: { busName: settings.busName, ...(filters.api !== undefined ? { api: filters.api } : {}) },
  };
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  io.signal?.addEventListener('abort', onSignal, { once: true });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let shown = 0;
  const shownIds = new Set<string>();
  let since: Date | undefined;
  try {
    // Checked before anything is created: a bad --since creates nothing.
    since = options.since !== undefined ? parseTimePoint('--since', options.since, Date.now()) : undefined;
    if (since !== undefined && filters.api !== undefined && !filters.api.includes('*')) {
      await refuseHistoryOfSnsApi(clients, settings, filters.api, 'lightbus inspect --since');
    }
    await createTemporaryResources(clients, resources, inspectEventPattern(filters));
    if (resources.topicProblem !== undefined) logger.warn('Events of APIs on SNS will not be shown', { problem: resources.topicProblem });
    if (since !== undefined) {
      // A replay limited to the temporary rule (FilterArns): the bus's listeners do not see it again.
      const replay = await new BusHistory(clients, settings.busName, resources.eventBusName).replayIntoRules(
        [resources.ruleArn as string],
        { from: since, to: new Date() },
        `inspect-${suffix}`,
        false,
      );
      logger.info('Replaying history into the temporary rule', { replay: replay.replayName, from: since.toISOString(), to: replay.window.to.toISOString() });
      if ((resources.subscriptions ?? []).length > 0) {
        logger.warn('Events of APIs on SNS are shown from now on only: SNS keeps no history', { topics: subscribedTopics(resources) });
      }
    }
    logger.info('Inspecting events', {
      eventBus: resources.eventBusName,
      rule: resources.ruleName,
      queue: resources.queueName,
      topics: subscribedTopics(resources),
      filters,
      ...(options.jsonPath !== undefined ? { jsonPath: options.jsonPath, equals: options.equals } : {}),
      until: options.follow ? 'SIGINT' : `${duration} ms`,
    });
    const deadline = Date.now() + duration;
    while (!stop.signal.aborted && (options.follow || Date.now() < deadline)) {
      const waitSeconds = options.follow ? 20 : Math.max(0, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
      let messages;
      try {
        // A long poll that carries an abort signal: its own client (runtime/transport/aws-clients.ts).
        const received = await clients.sqsLongPolls.send(
          new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
          { abortSignal: stop.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (stop.signal.aborted) break;
        throw error;
      }
      for (const message of messages) {
        let event: InspectedEvent;
        const delivery = readTapDelivery(message.Body ?? '');
        try {
          const parsed = parseEventDelivery(delivery.envelope);
          event = { ...parsed, eventBridgeId: delivery.messageId ?? parsed.eventBridgeId, transport: delivery.transport };
        } catch (error) {
          if (!(error instanceof MalformedMessageError)) throw error;
          logger.warn('Skipped a message that is not a lightbus event', { error: error.message });
          continue;
        }
        if (!matchesFilters(event, filters) || !matches(event)) continue;
        // With --since an event fired while inspect started may come live and replayed: show it once.
        if (since !== undefined) {
          if (shownIds.has(event.id)) continue;
          shownIds.add(event.id);
        }
        io.write(`${formatEvent(event, options.format)}\n`);
        shown += 1;
      }
      if (messages.length > 0) {
        await clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: resources.queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    io.signal?.removeEventListener('abort', onSignal);
    const problems = await removeTemporaryResources(clients, resources);
    clients.destroy();
    if (problems.length > 0) {
      logger.error('Could not remove every temporary resource; remove them by hand', {
        rule: resources.ruleName,
        queue: resources.queueName,
        subscriptions: (resources.subscriptions ?? []).map((s) => s.subscriptionArn),
        problems,
      });
    } else {
      logger.info('Removed the temporary rule and queue', {
        rule: resources.ruleName,
        queue: resources.queueName,
        subscriptions: (resources.subscriptions ?? []).map((s) => s.subscriptionArn),
        shown,
      });
    }
  }
  return shown;
}

export function registerInspectCommand(program: Command): void {
  const command = program
    .command('inspect')
    .description(
      'Show events on the bus as they are fired, through a temporary EventBridge rule and SQS queue (subscribed to the SNS topics of APIs on SNS too) that are removed on exit. ' +
        'Events fired before it starts are shown only with --since (from the bus history archive; events on SNS have no history).',
    )
    .option('--api <name>', "only events of this API (e.g. customers or support.case); * matches any characters ('audit.*': every API under audit)")
    .option('--event <name>', "only this event: a name (newCustomer) or API and name (customers.newCustomer); * matches any characters ('user*')")
    .option('--id <id>', 'only the event with this lightbus id')
    .option('--json-path <path>', 'only events where this path exists in the event, e.g. $.parameters.email ($ is the event: id, api, event, parameters, firedAt, sender)')
    .option('--equals <value>', 'with --json-path: only events where the value there equals this (JSON, or plain text)')
    .option('--format <format>', 'pretty or json (one JSON object per line)', parseFormat, 'pretty')
    .option('-f, --follow', 'keep showing events until SIGINT/SIGTERM')
    .option(
      '--since <time>',
      "also show past events from this time on (ISO 8601, epoch ms, or a duration ago: 30m, 2h), replayed from the bus's history archive into the temporary rule only",
    )
    .option('--duration <time>', 'without --follow, how long to show events (e.g. 30s, 2m; a bare number is seconds; default 10s)', (v) =>
      parseDurationFlag('--duration', v),
    )
    .option('--json', 'short for --format json')
    .option('--workers', "instead of events: the bus's workers as they last reported (service, worker id, status, APIs, listeners, version, last seen)")
    .option('--hide-stale', 'with --workers: leave out workers with no report for more than two heartbeat intervals (shown, flagged "stale", by default)');
  addCommonOptions(command, ['busName', 'config', 'logLevel', 'local', 'endpoint']);
  command.action(async (given: InspectOptions & { json?: boolean; workers?: boolean; hideStale?: boolean }) => {
    const { json, workers, hideStale, ...rest } = given;
    const options: InspectOptions = json ? { ...rest, format: 'json' } : rest;
    if (workers) {
      await inspectWorkers({ ...options, ...(hideStale ? { hideStale } : {}) });
      return;
    }
    if (hideStale) throw new ConfigurationError('--hide-stale goes with --workers (lightbus inspect --workers --hide-stale).');
    await inspectEvents(options);
  });
}

/** The names of the topics the temporary queue is subscribed to. */
function subscribedTopics(resources: TemporaryResources): string[] {
  return (resources.subscriptions ?? []).map((s) => s.topicArn.slice(s.topicArn.lastIndexOf(':') + 1));
}

function parseFormat(value: string): 'pretty' | 'json' {
  if (value !== 'pretty' && value !== 'json') throw new InvalidArgumentError(`--format must be pretty or json; got "${value}".`);
  return value;
}
