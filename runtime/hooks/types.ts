import type { Sender } from '../messages/wire';

/**
 * How an operation ended, as the `after*` hooks see it: its value, or the error it failed with
 * (including an error thrown by a `before*` hook, which aborts the operation).
 */
export type HookOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/** What every operation hook's context names. */
export interface MemberHookContext {
  /** The API's name, e.g. `auth`. */
  readonly api: string;
  /** The procedure or event name, e.g. `checkPassword`. */
  readonly member: string;
}

/** What the `after*` hooks add to their `before*` counterpart's context. */
export interface AfterHookContext<T> {
  readonly outcome: HookOutcome<T>;
  /**
   * Milliseconds from the moment the `before*` hooks returned until the outcome was known: the
   * operation itself, not the hooks. 0 when a `before*` hook aborted it.
   */
  readonly durationMs: number;
}

/** Caller side: a call about to be sent (`beforeRpcCall`). */
export interface RpcCallHookContext extends MemberHookContext {
  readonly callId: string;
  /** The parameters as validated (defaults applied), before conversion to JSON. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
}
/** Caller side: a call answered, failed or timed out (`afterRpcCall`); `value` is the result. */
export interface AfterRpcCallHookContext extends RpcCallHookContext, AfterHookContext<unknown> {}

/** Worker side: a call about to run the procedure (`beforeRpcExecution`). */
export interface RpcExecutionHookContext extends MemberHookContext {
  readonly callId: string;
  /** The parameters as the procedure receives them (cast and validated). */
  readonly parameters: unknown;
  readonly sender: Sender | undefined;
  /** Epoch ms after which the caller has stopped waiting. */
  readonly deadline: number;
}
/** Worker side: the procedure returned or threw (`afterRpcExecution`); `value` is its result. */
export interface AfterRpcExecutionHookContext extends RpcExecutionHookContext, AfterHookContext<unknown> {}

/** Firing side: an event about to be sent to EventBridge (`beforeEventSent`). */
export interface EventSentHookContext extends MemberHookContext {
  /** lightbus's id of the event (`detail.id`). */
  readonly eventId: string;
  /** The parameters as validated (defaults applied), before conversion to JSON. */
  readonly parameters: Readonly<Record<string, unknown>>;
}
/** Firing side: EventBridge accepted the event, or not (`afterEventSent`); `value` is EventBridge's id. */
export interface AfterEventSentHookContext extends EventSentHookContext, AfterHookContext<{ readonly eventBridgeId: string }> {}

/** Worker side: a listener about to run for an event (`beforeEventExecution`). */
export interface EventExecutionHookContext extends MemberHookContext {
  readonly eventId: string;
  readonly listenerName: string;
  /** The parameters as the listener receives them (cast and validated). */
  readonly parameters: unknown;
  readonly sender: Sender | undefined;
  /** 1 on first delivery; higher when a previous attempt failed. */
  readonly receiveCount: number;
}
/** Worker side: the listener returned or threw (`afterEventExecution`). */
export interface AfterEventExecutionHookContext extends EventExecutionHookContext, AfterHookContext<undefined> {}

/** A long-running worker (`LightbusWorker`, `lightbus run`) is polling its queues. */
export interface WorkerStartedHookContext {
  readonly busName: string;
  readonly serviceName: string | undefined;
  readonly processName: string;
  /** Queues it polls. */
  readonly queues: readonly string[];
  /** Procedures it serves, `api.procedure`. */
  readonly rpcs: readonly string[];
  /** Listeners it runs, with their events. */
  readonly listeners: readonly string[];
}
/** The worker stops polling and drains the messages in flight. */
export interface WorkerStoppingHookContext {
  readonly busName: string;
  readonly processName: string;
}
/** The worker has stopped: `finished` messages were handled, `returned` went back to their queues. */
export interface WorkerStoppedHookContext extends WorkerStoppingHookContext {
  /** Messages finished while draining. */
  readonly finished: number;
  /** Messages still running at the drain timeout, given back to their queue. */
  readonly returned: number;
  /** Messages that long polls still under way at stop received, given back at once without running. */
  readonly released: number;
}

/** Every hook, by name, with the context its functions receive. */
export interface HookContexts {
  beforeRpcCall: RpcCallHookContext;
  afterRpcCall: AfterRpcCallHookContext;
  beforeRpcExecution: RpcExecutionHookContext;
  afterRpcExecution: AfterRpcExecutionHookContext;
  beforeEventSent: EventSentHookContext;
  afterEventSent: AfterEventSentHookContext;
  beforeEventExecution: EventExecutionHookContext;
  afterEventExecution: AfterEventExecutionHookContext;
  workerStarted: WorkerStartedHookContext;
  workerStopping: WorkerStoppingHookContext;
  workerStopped: WorkerStoppedHookContext;
}

export type HookName = keyof HookContexts;

export const HOOK_NAMES: readonly HookName[] = [
  'beforeRpcCall',
  'afterRpcCall',
  'beforeRpcExecution',
  'afterRpcExecution',
  'beforeEventSent',
  'afterEventSent',
  'beforeEventExecution',
  'afterEventExecution',
  'workerStarted',
  'workerStopping',
  'workerStopped',
];

/**
 * A hook function: the context first, then the bus client it was registered on (so a hook can
 * call, fire or log through it). May be async; hooks of one name run one after another, in the
 * order they were registered, and each is awaited.
 */
export type HookFunction<N extends HookName, B = unknown> = (context: HookContexts[N], bus: B) => void | Promise<void>;
