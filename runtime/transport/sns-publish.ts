import { createHash, randomUUID } from 'node:crypto';
import { ListTopicsCommand, PublishBatchCommand, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { ClientEnvironment } from '../config';
import { EventFireError } from '../errors';
import type { AwsClients } from './aws-clients';
import type { EventEntry, PublishContext } from './event-entry';

/** PublishBatch takes 10 entries a call. */
export const MAX_ENTRIES_PER_PUBLISH_BATCH = 10;
/** PublishBatch limits each message, and the whole request, to 256 KB (message bodies and attributes). */
export const MAX_PUBLISH_BATCH_BYTES = 256 * 1024;

/** One entry's outcome, whichever service sent it. */
export interface SentEntryResult {
  /** The service's id of the accepted entry (EventBridge's event id, SNS's message id). */
  readonly id?: string | undefined;
  readonly errorCode?: string | undefined;
  readonly errorMessage?: string | undefined;
}

/**
 * The SNS message of an event: the envelope EventBridge would deliver to a listener queue
 * (`id`, `source`, `detail-type`, `time`, `detail`), so that a listener queue's messages read the
 * same whichever transport carried them. `id` is this message's own (as EventBridge's is); the
 * event's id is `detail.id`. `Detail` is already JSON, so the envelope is joined, not re-encoded.
 */
export function snsMessageOf(entry: EventEntry): string {
  return (
    `{"version":"0","id":"${randomUUID()}","source":${JSON.stringify(entry.Source)},` +
    `"detail-type":${JSON.stringify(entry.DetailType)},"time":"${new Date().toISOString()}","detail":${entry.Detail}}`
  );
}

/** The PublishBatch entry of an event (its `Id` is given per call) and its size as SNS counts it. */
export function snsEntryOf(
  entry: EventEntry,
  fifo?: { readonly messageGroupId: string; readonly deduplicationId: string },
): { readonly entry: Omit<PublishBatchRequestEntry, 'Id'>; readonly size: number } {
  const message = snsMessageOf(entry);
  const size = Buffer.byteLength(message, 'utf8');
  if (fifo === undefined) return { entry: { Message: message }, size };
  return { entry: { Message: message, MessageGroupId: fifo.messageGroupId, MessageDeduplicationId: fifo.deduplicationId }, size };
}

/** SNS's rule for a message group id: 1 to 128 printable ASCII characters, no spaces. */
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The message group of a key value: the value itself when SNS takes it as it is (a string of up to
 * 128 printable ASCII characters; other JSON values as their JSON text), else `sha256:` and its hash.
 * Equal values always make equal groups, so events of one key stay in one group.
 */
export function messageGroupOf(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
  if (GROUP_ID.test(text)) return text;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * Finds a topic's ARN by name: from `LIGHTBUS_TOPIC_ARN_PREFIX` (`arn:aws:sns:<region>:<account>:`,
 * which the CDK construct sets on its functions) without a call, else by listing the account's
 * topics once per name (needs sns:ListTopics; for local runs and scripts).
 */
export class TopicLocator {
  private readonly arns = new Map<string, Promise<string>>();

  public constructor(
    private readonly clients: AwsClients,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  public arnOf(topicName: string, context: PublishContext): Promise<string> {
    let arn = this.arns.get(topicName);
    if (arn === undefined) {
      arn = this.find(topicName, context);
      this.arns.set(topicName, arn);
      // A topic not found yet may be created later (its service deploys): ask again next time.
      arn.catch(() => this.arns.delete(topicName));
    }
    return arn;
  }

  private async find(topicName: string, context: PublishContext): Promise<string> {
    const prefix = this.env[ClientEnvironment.TopicArnPrefix];
    if (prefix) return `${prefix}${topicName}`;
    let nextToken: string | undefined;
    do {
      const page = await this.clients.sns.send(new ListTopicsCommand(nextToken ? { NextToken: nextToken } : {}));
      const found = page.Topics?.find((topic) => topic.TopicArn?.endsWith(`:${topicName}`));
      if (found?.TopicArn) return found.TopicArn;
      nextToken = page.NextToken;
    } while (nextToken);
    throw new EventFireError(
      context.api,
      context.event,
      'TopicNotFound',
      `the SNS topic ${topicName} of API ${context.api} does not exist: its events travel over SNS (transports.event: sns), ` +
        'and the topic is made by the service that registers the API (its deployment, or its local worker)',
    );
  }
}

/** One PublishBatch call to `topicArn`; returns each entry's outcome, in order. */
export async function publishBatch(clients: AwsClients, topicArn: string, entries: readonly Omit<PublishBatchRequestEntry, 'Id'>[]): Promise<SentEntryResult[]> {
  const out = await clients.sns.send(
    new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries.map((entry, index) => ({ ...entry, Id: String(index) })) }),
  );
  const results: SentEntryResult[] = entries.map(() => ({ errorCode: 'MissingEntry', errorMessage: 'PublishBatch returned no result for this entry' }));
  for (const ok of out.Successful ?? []) {
    const index = Number(ok.Id);
    if (Number.isInteger(index) && index >= 0 && index < results.length) results[index] = { id: ok.MessageId ?? ok.Id };
  }
  for (const failed of out.Failed ?? []) {
    const index = Number(failed.Id);
    if (Number.isInteger(index) && index >= 0 && index < results.length) results[index] = { errorCode: failed.Code, errorMessage: failed.Message };
  }
  return results;
}
