import { UpdateItemCommand, type AttributeValue, type BatchStatementRequest } from '@aws-sdk/client-dynamodb';
import { ResultAttributes as A, ResultState, type WireError, type WireTrace } from '../messages/wire';
import { callResultKey } from '../topology/table-keys';
import type { AwsClients } from './aws-clients';

/** A call's outcome as the results table stores it: the result, its payload reference, or the error. */
export type ResultOutcome = { ok: true; resultJson: string } | { ok: true; resultRefJson: string } | { ok: false; error: WireError };

/** One result to write: what {@link ResultsStore.complete} was given. */
export interface ResultWrite {
  readonly table: string;
  readonly callId: string;
  readonly outcome: ResultOutcome;
  readonly expiresAtEpochSeconds: number;
  /** The execution span's trace context, written on the item when given. */
  readonly trace?: WireTrace;
}

/**
 * The attribute a result's payload goes to, and its text: the error as JSON, the payload
 * reference, or the result.
 */
function payloadOf(outcome: ResultOutcome): { attribute: string; text: string } {
  if (!outcome.ok) return { attribute: A.Error, text: JSON.stringify(outcome.error) };
  if ('resultRefJson' in outcome) return { attribute: A.ResultRef, text: outcome.resultRefJson };
  return { attribute: A.Result, text: outcome.resultJson };
}

/**
 * The result as one UpdateItem (a lone result, a result retried alone, the fallback when PartiQL
 * is refused, and every unclaimed write). With `requireClaim`, it writes only over a claim
 * (`state = claimed`); without, only where no item exists: a malformed copy carrying a running
 * call's id must not overwrite that call's claim. A failed condition means the call was already
 * answered (or, unclaimed, is someone else's): the first result stands, and this resolves.
 */
export async function updateResult(clients: AwsClients, write: ResultWrite, requireClaim: boolean): Promise<void> {
  const { attribute, text } = payloadOf(write.outcome);
  const values: Record<string, AttributeValue> = {
    ':state': { S: write.outcome.ok ? ResultState.Ok : ResultState.Error },
    ':payload': { S: text },
    ':now': { N: String(Date.now()) },
    ':expires': { N: String(write.expiresAtEpochSeconds) },
  };
  // DynamoDB refuses unused expression values: the unclaimed write's condition does not name `:claimed`.
  if (requireClaim) values[':claimed'] = { S: ResultState.Claimed };
  const traceFields = traceUpdate(write.trace, values);
  try {
    await clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: write.table,
        Key: { [A.PartitionKey]: { S: callResultKey(write.callId) } },
        UpdateExpression: `SET #state = :state, #payload = :payload, #completedAt = :now, #expiresAt = :expires${traceFields.expression}`,
        ConditionExpression: requireClaim ? '#state = :claimed' : 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: {
          '#state': A.State,
          '#payload': attribute,
          '#completedAt': A.CompletedAt,
          '#expiresAt': A.ExpiresAt,
          ...traceFields.names,
          ...(requireClaim ? {} : { '#pk': A.PartitionKey }),
        },
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    // Already completed by another delivery: the first result stands.
    if ((error as Error).name === 'ConditionalCheckFailedException') return;
    throw error;
  }
}

/**
 * The part of a result's update that writes the execution span's trace context (the `traceparent`
 * and `tracestate` attributes), adding its values to `values`; empty without a trace.
 */
function traceUpdate(trace: WireTrace | undefined, values: Record<string, AttributeValue>): { expression: string; names: Record<string, string> } {
  if (trace?.traceparent === undefined) return { expression: '', names: {} };
  values[':traceparent'] = { S: trace.traceparent };
  if (trace.tracestate === undefined) return { expression: ', #traceparent = :traceparent', names: { '#traceparent': A.Traceparent } };
  values[':tracestate'] = { S: trace.tracestate };
  return {
    expression: ', #traceparent = :traceparent, #tracestate = :tracestate',
    names: { '#traceparent': A.Traceparent, '#tracestate': A.Tracestate },
  };
}

/**
 * The claimed result as a PartiQL UPDATE with the UpdateItem's condition: the WHERE names the key
 * and `state = 'claimed'`, and DynamoDB answers `ConditionalCheckFailed` when the item is not a
 * claim any more (answered already) or does not exist (an UPDATE never creates an item, as the
 * UpdateItem's condition never let it). Same attributes, same values, as {@link updateResult}
 * writes. Values travel as parameters, never in the text.
 */
export function resultStatement(write: ResultWrite): BatchStatementRequest {
  const { attribute, text } = payloadOf(write.outcome);
  const sets: [string, AttributeValue][] = [
    [A.State, { S: write.outcome.ok ? ResultState.Ok : ResultState.Error }],
    [attribute, { S: text }],
    [A.CompletedAt, { N: String(Date.now()) }],
    [A.ExpiresAt, { N: String(write.expiresAtEpochSeconds) }],
  ];
  if (write.trace?.traceparent !== undefined) {
    sets.push([A.Traceparent, { S: write.trace.traceparent }]);
    if (write.trace.tracestate !== undefined) sets.push([A.Tracestate, { S: write.trace.tracestate }]);
  }
  const assignments = sets.map(([name]) => `${quoteIdentifier(name)} = ?`).join(', ');
  return {
    Statement: `UPDATE ${quoteIdentifier(write.table)} SET ${assignments} WHERE ${quoteIdentifier(A.PartitionKey)} = ? AND ${quoteIdentifier(A.State)} = ?`,
    Parameters: [...sets.map(([, value]) => value), { S: callResultKey(write.callId) }, { S: ResultState.Claimed }],
  };
}

/**
 * About how many bytes a result adds to a BatchExecuteStatement request: its payload and trace in
 * UTF-16 units, plus the statement's fixed text. Not exact (UTF-8 and JSON escaping may make the
 * payload up to a few times larger on the wire): the batch cap it is held to leaves that margin.
 */
export function resultWriteBytes(write: ResultWrite): number {
  const outcome = write.outcome;
  const payload = !outcome.ok ? JSON.stringify(outcome.error).length : 'resultRefJson' in outcome ? outcome.resultRefJson.length : outcome.resultJson.length;
  return payload + write.table.length + write.callId.length + (write.trace?.tracestate?.length ?? 0) + 400;
}

/** A PartiQL identifier: double quotes, an inner `"` doubled (table names cannot hold one, but a caller names the table). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
