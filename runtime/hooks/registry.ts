import { InvalidHookError } from '../errors';
import type { Logger } from '../logging';
import { HOOK_NAMES, type AfterHookContext, type HookContexts, type HookFunction, type HookName } from './types';

/** The four operations that have a `before*`/`after*` pair of hooks. */
export type HookedOperation = 'RpcCall' | 'RpcExecution' | 'EventSent' | 'EventExecution';

/** What each operation's `after*` hooks see as `outcome.value`. */
interface OperationValues {
  RpcCall: unknown;
  RpcExecution: unknown;
  EventSent: { readonly eventBridgeId: string };
  EventExecution: undefined;
}

type HookLists<B> = { [N in HookName]: HookFunction<N, B>[] };

/** Each operation's hook names, spelled out once: `observes` runs per message. */
const HOOKS_OF = {
  RpcCall: { before: 'beforeRpcCall', after: 'afterRpcCall' },
  RpcExecution: { before: 'beforeRpcExecution', after: 'afterRpcExecution' },
  EventSent: { before: 'beforeEventSent', after: 'afterEventSent' },
  EventExecution: { before: 'beforeEventExecution', after: 'afterEventExecution' },
} as const satisfies Record<HookedOperation, { readonly before: HookName; readonly after: HookName }>;

/**
 * The lifecycle hooks of one bus client: `bus.hooks.on('afterRpcCall', (context, bus) => ...)`.
 *
 * - `before*` hooks run just before the operation; one that throws (or rejects) aborts it: the
 *   remaining hooks are skipped, the operation does not run, and the error goes where the
 *   operation's own error would (the call or fire rejects with it; on a worker, the caller gets it
 *   as the RPC's error result, or the event takes the listener-failure path: retry, then
 *   dead-letter).
 * - `after*` hooks run once the outcome is known, for every operation whose `before*` stage was
 *   reached, including one a `before*` hook aborted. One that throws is logged, and the outcome
 *   stands.
 * - `workerStarted`, `workerStopping`, `workerStopped` are notifications from a long-running
 *   worker; one that throws is logged, and the worker carries on.
 *
 * With no hook registered for an operation, nothing is built or measured for it.
 */
export class HookRegistry<B = unknown> {
  private readonly lists: HookLists<B>;

  public constructor(
    private readonly bus: B,
    private readonly logger: Logger,
  ) {
    const lists = {} as Record<HookName, unknown[]>;
    for (const name of HOOK_NAMES) lists[name] = [];
    this.lists = lists as HookLists<B>;
  }

  /** Registers a hook function; returns a function that removes it again. */
  public on<N extends HookName>(name: N, fn: HookFunction<N, B>): () => void {
    const list = this.list(name);
    if (typeof fn !== 'function') {
      throw new InvalidHookError(`hooks.on("${name}", fn): expected fn to be a function; got ${fn === null ? 'null' : typeof fn}.`, {
        hook: name,
      });
    }
    list.push(fn);
    return () => this.off(name, fn);
  }

  /** Removes a hook function registered with `on()`; returns whether it was registered. */
  public off<N extends HookName>(name: N, fn: HookFunction<N, B>): boolean {
    const list = this.list(name);
    const index = list.indexOf(fn);
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  /** Whether any function is registered for this hook. */
  public has(name: HookName): boolean {
    return this.lists[name].length > 0;
  }

  /** @internal whether the operation has a `before*` or `after*` hook: the hot paths check this first. */
  public observes(operation: HookedOperation): boolean {
    const { before, after } = HOOKS_OF[operation];
    return this.lists[before].length > 0 || this.lists[after].length > 0;
  }

  /**
   * @internal Runs `operation` between its `before*` and `after*` hooks (see the class comment).
   * Resolves or rejects exactly as the operation did, or with a `before*` hook's error.
   */
  public async around<O extends HookedOperation, T>(
    operation: O,
    context: HookContexts[`before${O}`],
    run: () => Promise<T>,
    valueForHooks: (value: T) => OperationValues[O],
  ): Promise<T> {
    let started: number | undefined;
    let outcome!: AfterHookContext<OperationValues[O]>['outcome']; // set by the try or the catch
    try {
      await this.runBefore(`before${operation}`, context);
      started = performance.now();
      const value = await run();
      outcome = { ok: true, value: valueForHooks(value) };
      return value;
    } catch (error) {
      outcome = { ok: false, error: asError(error) };
      throw error;
    } finally {
      const durationMs = started === undefined ? 0 : performance.now() - started;
      const after = `after${operation}` as const;
      if (this.lists[after].length > 0) {
        const afterContext = { ...context, outcome, durationMs } as unknown as HookContexts[typeof after];
        await this.runAfter(after, afterContext);
      }
    }
  }

  /**
   * The after-hook of an operation whose result settles later than the call that started it (an
   * event fired with buffered delivery is accepted after fire() resolved): runs it with the outcome
   * once `result` settles, timed from now. Resolves when the hooks ran; never rejects.
   */
  public async afterSettled<O extends HookedOperation, T>(
    operation: O,
    context: HookContexts[`before${O}`],
    result: Promise<T>,
    valueForHooks: (value: T) => OperationValues[O],
  ): Promise<void> {
    const after = `after${operation}` as const;
    const started = performance.now();
    const outcome: AfterHookContext<OperationValues[O]>['outcome'] = await result.then(
      (value) => ({ ok: true, value: valueForHooks(value) }),
      (error: unknown) => ({ ok: false, error: asError(error) }),
    );
    if (this.lists[after].length === 0) return;
    const afterContext = { ...context, outcome, durationMs: performance.now() - started } as unknown as HookContexts[typeof after];
    await this.runAfter(after, afterContext);
  }

  /** @internal Runs a hook's functions in order; the first that throws stops the rest and rethrows. */
  public async runBefore<N extends HookName>(name: N, context: HookContexts[N]): Promise<void> {
    const list = this.lists[name];
    if (list.length === 0) return;
    // A copy: a hook may remove itself (or others) while running.
    for (const fn of [...list]) await fn(context, this.bus);
  }

  /** @internal Runs a hook's functions in order; errors are logged, never thrown. */
  public async runAfter<N extends HookName>(name: N, context: HookContexts[N]): Promise<void> {
    const list = this.lists[name];
    if (list.length === 0) return;
    for (const fn of [...list]) {
      try {
        await fn(context, this.bus);
      } catch (error) {
        const member = context as Partial<{ api: string; member: string }>;
        this.logger.error(`The ${name} hook failed; ignored (the outcome stands)`, {
          hook: name,
          ...(member.api !== undefined ? { api: member.api, member: member.member } : {}),
          error: asError(error),
        });
      }
    }
  }

  private list<N extends HookName>(name: N): HookFunction<N, B>[] {
    const list = Object.prototype.hasOwnProperty.call(this.lists, name) ? this.lists[name] : undefined;
    if (!list) {
      throw new InvalidHookError(`There is no hook named ${JSON.stringify(name)}; expected one of ${HOOK_NAMES.join(', ')}.`, {
        hook: String(name),
      });
    }
    return list;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`A non-Error value was thrown: ${String(value)}`);
}
