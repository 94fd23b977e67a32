import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ResultAttributes } from '../messages/wire';
import type { WireError } from '../messages/wire';
import { classifyKey, InvalidTableKeyError, KeyKind, taskRunKey } from '../topology/table-keys';
import type { AwsClients } from '../transport';

/** States of a task run record in the results table (see docs/wire-format.md, "Scheduled tasks"). */
export const TaskRunState = {
  Running: 'running',
  Done: 'done',
  Failed: 'failed',
} as const;
export type TaskRunState = (typeof TaskRunState)[keyof typeof TaskRunState];

/** Attributes of a task run record, besides `pk`, `state` and `expiresAt` shared with results. */
export const TaskRunAttributes = {
  Attempts: 'attempts',
  Service: 'service',
  Task: 'task',
  ScheduledTime: 'scheduledTime',
  ClaimedBy: ResultAttributes.ClaimedBy,
  ClaimedAt: ResultAttributes.ClaimedAt,
  CompletedAt: ResultAttributes.CompletedAt,
  Error: ResultAttributes.Error,
} as const;

/** How long a run record is kept (DynamoDB TTL): duplicates and retries arrive well within it. */
export const TASK_RUN_TTL_SECONDS = 24 * 3600;

/** `task#<service>#<taskName>#<scheduledTime>`: built by runtime/topology/table-keys.ts, like every results-table key. */
export { taskRunKey };

/** Why a run could not be claimed: the record that holds it, as it stood (when DynamoDB returned it). */
export interface HeldRun {
  readonly state: string | undefined;
  readonly claimedBy: string | undefined;
  readonly attempts: number | undefined;
}

export type ClaimResult = { readonly claimed: true; readonly attempt: number } | { readonly claimed: false; readonly heldBy: HeldRun };

/**
 * How long a `running` claim holds by default: Lambda's longest timeout. A Lambda worker passes
 * its own remaining time instead, so the retry of a timed-out invocation can claim the run.
 */
export const DEFAULT_TASK_LEASE_MS = 15 * 60 * 1000;

/**
 * One record per (service, task, scheduled time) in the bus's results table. A run starts only
 * if it can claim the record: absent, left `failed` by an earlier attempt, or `running` past its
 * lease (the run died without recording how it ended). So each scheduled
 * time runs once across every process and function of the service, and a retry after a failure
 * runs again with the next attempt number.
 */
export class TaskRunLock {
  public constructor(private readonly clients: AwsClients) {}

  /**
   * @param fields.leaseMs how long a `running` claim holds: past it, the run is taken to have died
   * (a Lambda timeout, a crashed process) and another attempt may claim it.
   */
  public async claim(
    table: string,
    key: string,
    fields: { service: string; taskName: string; scheduledTime: Date; claimedBy: string; leaseMs?: number },
  ): Promise<ClaimResult> {
    assertTaskRunKey(key);
    const now = Date.now();
    const leaseMs = fields.leaseMs ?? DEFAULT_TASK_LEASE_MS;
    const A = TaskRunAttributes;
    try {
      const out = await this.clients.dynamoDb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { [ResultAttributes.PartitionKey]: { S: key } },
          UpdateExpression:
            'SET #state = :running, #service = :service, #task = :task, #scheduledTime = :scheduledTime, ' +
            '#claimedBy = :claimedBy, #claimedAt = :now, #expiresAt = :expiresAt ADD #attempts :one',
          ConditionExpression: 'attribute_not_exists(#pk) OR #state = :failed OR (#state = :running AND #claimedAt < :staleBefore)',
          ExpressionAttributeNames: {
            '#pk': ResultAttributes.PartitionKey,
            '#state': ResultAttributes.State,
            '#expiresAt': ResultAttributes.ExpiresAt,
            '#service': A.Service,
            '#task': A.Task,
            '#scheduledTime': A.ScheduledTime,
            '#claimedBy': A.ClaimedBy,
            '#claimedAt': A.ClaimedAt,
            '#attempts': A.Attempts,
          },
          ExpressionAttributeValues: {
            ':running': { S: TaskRunState.Running },
            ':failed': { S: TaskRunState.Failed },
            ':service': { S: fields.service },
            ':task': { S: fields.taskName },
            ':scheduledTime': { S: fields.scheduledTime.toISOString() },
            ':claimedBy': { S: fields.claimedBy },
            ':now': { N: String(now) },
            ':staleBefore': { N: String(now - leaseMs) },
            ':expiresAt': { N: String(Math.floor(now / 1000) + TASK_RUN_TTL_SECONDS) },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_NEW',
          // The record that holds the run, so the skip can be logged with its reason.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const attempts = Number(out.Attributes?.[A.Attempts]?.N ?? '1');
      return { claimed: true, attempt: Number.isFinite(attempts) && attempts > 0 ? attempts : 1 };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return { claimed: false, heldBy: heldRunOf(error) };
      throw error;
    }
  }

  /** Records how the claimed run ended; `failed` lets a retry claim it again. */
  public async finish(table: string, key: string, outcome: { ok: true } | { ok: false; error: WireError }): Promise<void> {
    assertTaskRunKey(key);
    await this.clients.dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { [ResultAttributes.PartitionKey]: { S: key } },
        UpdateExpression: outcome.ok ? 'SET #state = :state, #completedAt = :now' : 'SET #state = :state, #completedAt = :now, #error = :error',
        ConditionExpression: '#state = :running',
        ExpressionAttributeNames: {
          '#state': ResultAttributes.State,
          '#completedAt': TaskRunAttributes.CompletedAt,
          ...(outcome.ok ? {} : { '#error': TaskRunAttributes.Error }),
        },
        ExpressionAttributeValues: {
          ':state': { S: outcome.ok ? TaskRunState.Done : TaskRunState.Failed },
          ':running': { S: TaskRunState.Running },
          ':now': { N: String(Date.now()) },
          ...(outcome.ok ? {} : { ':error': { S: JSON.stringify(outcome.error).slice(0, 32_000) } }),
        },
      }),
    );
  }
}

function heldRunOf(error: unknown): HeldRun {
  const item = (error as { Item?: Record<string, { S?: string; N?: string }> }).Item;
  const attempts = Number(item?.[TaskRunAttributes.Attempts]?.N);
  return {
    state: item?.[ResultAttributes.State]?.S,
    claimedBy: item?.[TaskRunAttributes.ClaimedBy]?.S,
    attempts: Number.isFinite(attempts) ? attempts : undefined,
  };
}

/** The lock writes task run records only (runtime/topology/table-keys.ts): never a call result or schema. */
function assertTaskRunKey(key: string): void {
  if (classifyKey(key).kind !== KeyKind.TaskRun) {
    throw new InvalidTableKeyError(`"${key.slice(0, 140)}" is not a task run key (task#<service>#<task>#<time>).`, { key: key.slice(0, 140) });
  }
}
