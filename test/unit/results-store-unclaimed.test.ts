/**
 * Issue #10, item 3: the answer to a message that cannot be parsed (written without a claim) must
 * never touch an existing results item: a malformed copy carrying a running call's id would
 * otherwise overwrite that call's claim, and the real result would then be refused.
 */
import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../../runtime/transport';
import { ResultsStore } from '../../runtime/transport/results-store';

function store() {
  const sent: UpdateItemCommandInput[] = [];
  const dynamoDb = { send: (command: unknown) => (command instanceof UpdateItemCommand && sent.push(command.input), Promise.resolve({})) };
  return { results: new ResultsStore({ dynamoDb } as unknown as AwsClients), sent };
}

it('writes an unclaimed answer only where the call has no item at all', async () => {
  const { results, sent } = store();
  await results.complete('t', 'call-1', { ok: false, error: { name: 'MalformedMessageError', message: 'v2' } }, 1, false);
  expect(sent[0]!.ConditionExpression).toBe('attribute_not_exists(#pk)');
  expect(Object.keys(sent[0]!.ExpressionAttributeValues ?? {})).not.toContain(':claimed');
});

it('completes a claimed call only over its claim', async () => {
  const { results, sent } = store();
  await results.complete('t', 'call-1', { ok: true, resultJson: '1' }, 1);
  expect(sent[0]!.ConditionExpression).toBe('#state = :claimed');
});
