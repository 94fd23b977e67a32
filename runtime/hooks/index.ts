export { HookRegistry } from './registry';
export type { HookedOperation } from './registry';
export { HOOK_NAMES } from './types';
export type {
  HookName,
  HookFunction,
  HookContexts,
  HookOutcome,
  MemberHookContext,
  AfterHookContext,
  RpcCallHookContext,
  AfterRpcCallHookContext,
  RpcExecutionHookContext,
  AfterRpcExecutionHookContext,
  EventSentHookContext,
  AfterEventSentHookContext,
  EventExecutionHookContext,
  AfterEventExecutionHookContext,
  WorkerStartedHookContext,
  WorkerStoppingHookContext,
  WorkerStoppedHookContext,
} from './types';
