import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { DeadLetterAttributes } from '../../runtime/messages';
import type { DeadLetter, DeadLetterCause, DeadLetterContent } from './types';

const CAUSE_ATTRIBUTES: ReadonlySet<string> = new Set(Object.values(DeadLetterAttributes));

/** Turns a message received from a dead-letter queue into what operators see. */
export function readDeadLetter(message: Message, now: number): DeadLetter {
  const body = message.Body ?? '';
  const content = readContent(body);
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    body,
    content,
    cause: readCause(message.MessageAttributes ?? {}),
    deadLetterReceiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sentAt) ? sentAt : undefined,
    ...(message.Attributes?.MessageGroupId ? { messageGroupId: message.Attributes.MessageGroupId } : {}),
    expired: content.kind === 'rpc' && content.deadline !== undefined && content.deadline <= now,
  };
}

/** The message attributes to send back to the source queue: the original ones, minus the cause. */
export function attributesForRedrive(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(attributes ?? {}).filter(([name]) => !CAUSE_ATTRIBUTES.has(name));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** True when `id` names this message: its SQS message id or its lightbus id. */
export function isNamed(letter: DeadLetter, id: string): boolean {
  return letter.messageId === id || letter.content.id === id;
}

function readCause(attributes: Record<string, MessageAttributeValue>): DeadLetterCause | undefined {
  const text = (name: string): string | undefined => attributes[name]?.StringValue;
  const reason = text(DeadLetterAttributes.Reason);
  if (reason === undefined) return undefined;
  const receiveCount = Number(text(DeadLetterAttributes.ReceiveCount));
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  return {
    reason,
    ...optional('errorName', text(DeadLetterAttributes.ErrorName)),
    ...optional('errorMessage', text(DeadLetterAttributes.ErrorMessage)),
    ...optional('sourceQueue', text(DeadLetterAttributes.SourceQueue)),
    ...optional('receiveCount', Number.isFinite(receiveCount) ? receiveCount : undefined),
  };
}

/** Reads what a body says without judging it: a dead-lettered body may be malformed on purpose. */
function readContent(body: string): DeadLetterContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'unknown' };
  }
  if (!isRecord(parsed)) return { kind: 'unknown' };
  if (parsed.kind === 'lightbus.rpc') {
    return {
      kind: 'rpc',
      ...stringField('id', parsed.id),
      ...stringField('api', parsed.api),
      ...stringField('member', parsed.procedure),
      ...(typeof parsed.deadline === 'number' ? { deadline: parsed.deadline } : {}),
    };
  }
  // An EventBridge delivery: the lightbus event is its detail.
  const detail = parsed.detail;
  if (isRecord(detail)) {
    return { kind: 'event', ...stringField('id', detail.id), ...stringField('api', detail.api), ...stringField('member', detail.event) };
  }
  return { kind: 'unknown' };
}

function stringField<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
