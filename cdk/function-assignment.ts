import { ConstructValidationError } from '../runtime/errors/deployment';
import { apiSlug, type ListenerModel, type RpcQueueModel, type TaskModel, type Topology } from '../runtime/topology';
import { validateWorkerOptions, type LightbusSeparateFunction, type LightbusWorkerOptions } from './lightbus-service-props';

/** The construct id of the function that serves every API and listener not given one of its own. */
export const DEFAULT_FUNCTION = 'Worker';

/** What a worker function consumes: an API's request queue or a listener's queue. */
export type Role = { readonly kind: 'rpc'; readonly model: RpcQueueModel } | { readonly kind: 'listener'; readonly model: ListenerModel };

/** The queues one function consumes, and its settings. */
export interface FunctionGroup {
  readonly roles: Role[];
  readonly options: LightbusWorkerOptions;
}

/** `api auth`, `listener createUserForCustomer`: a role in messages and descriptions. */
export function describeRole(role: Role): string {
  return role.kind === 'rpc' ? `api ${role.model.api}` : `listener ${role.model.listenerName}`;
}

/**
 * Which function serves which queue: one function per `separateFunctions` entry (`ApiWorker-<api>`,
 * `ListenerWorker-<listener>`), the default function (`Worker`) everything else. Validates the
 * entries against the bus module's APIs and listeners.
 */
export function assignFunctions(
  constructPath: string,
  topology: Topology,
  separate: readonly LightbusSeparateFunction[],
): Map<string, FunctionGroup> {
  const groups = new Map<string, FunctionGroup>([[DEFAULT_FUNCTION, { roles: [], options: {} }]]);
  const claimed = new Map<string, string>();
  for (const [index, entry] of separate.entries()) {
    const where = `separateFunctions[${index}]`;
    validateWorkerOptions(constructPath, where, entry);
    if ((entry.api === undefined) === (entry.listener === undefined)) {
      throw new ConstructValidationError(
        constructPath,
        `${where}: give exactly one of api or listener; got ${entry.api === undefined ? 'neither' : `api "${entry.api}" and listener "${entry.listener}"`}.`,
      );
    }
    let role: Role;
    let functionId: string;
    if (entry.api !== undefined) {
      const model = topology.rpcQueues.find((q) => q.api === entry.api);
      if (!model) {
        throw new ConstructValidationError(
          constructPath,
          `${where}: API "${entry.api}" is not registered by this bus module; it registers ${list(topology.rpcQueues.map((q) => q.api))}.`,
          { api: entry.api },
        );
      }
      role = { kind: 'rpc', model };
      functionId = `ApiWorker-${apiSlug(entry.api)}`;
    } else {
      const model = topology.listeners.find((l) => l.listenerName === entry.listener);
      if (!model) {
        throw new ConstructValidationError(
          constructPath,
          `${where}: listener "${entry.listener}" is not declared by this bus module; its listeners are ${list(topology.listeners.map((l) => l.listenerName))}.`,
          { listener: entry.listener },
        );
      }
      role = { kind: 'listener', model };
      functionId = `ListenerWorker-${model.listenerName}`;
    }
    if (claimed.has(functionId)) {
      throw new ConstructValidationError(constructPath, `${where}: ${describeRole(role)} already has a function of its own (${claimed.get(functionId)}).`);
    }
    claimed.set(functionId, where);
    const { api: _api, listener: _listener, ...options } = entry;
    groups.set(functionId, { roles: [role], options });
  }
  const separated = new Set([...groups.values()].flatMap((g) => g.roles.map((r) => r.model.queueName)));
  const rest: Role[] = [
    ...topology.rpcQueues.map((model): Role => ({ kind: 'rpc', model })),
    ...topology.listeners.map((model): Role => ({ kind: 'listener', model })),
  ].filter((r) => !separated.has(r.model.queueName));
  groups.get(DEFAULT_FUNCTION)!.roles.push(...rest);
  return groups;
}

/** A scheduled task must be one an EventBridge schedule rule can run (whole minutes at least). */
export function assertRunsOnEventBridge(constructPath: string, task: TaskModel): void {
  if (task.runsOnEventBridge) return;
  throw new ConstructValidationError(
    constructPath,
    `Scheduled task "${task.taskName}" runs on ${task.scheduleExpression}, but EventBridge schedule rules fire at most once a minute, ` +
      'so LightbusService cannot deploy it. Give it an interval of whole minutes (every({ minutes: 1 })) or a cron expression; ' +
      'intervals of seconds are for the local worker only.',
    { taskName: task.taskName, scheduleExpression: task.scheduleExpression },
  );
}

/** `"a", "b"`, or `(none)`. */
export function list(values: readonly string[]): string {
  return values.length ? values.map((v) => `"${v}"`).join(', ') : '(none)';
}
