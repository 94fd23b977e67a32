import { Annotations, AspectPriority, Aspects, Stage, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { API_NAME_PATTERN } from '../runtime/api';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { list } from './function-assignment';

/**
 * Which request queues a service's workers may send to. A worker may call:
 * - the APIs it serves itself (a listener may call its own service's procedures, as the example's
 *   auth listener calls auth.createUser);
 * - the APIs its bus module has a definition of, that declare procedures, and that a
 *   `LightbusService` on the same bus serves in the same CDK app (stage): only those have a queue;
 * - the APIs listed in `calls` (served outside this app, or not defined in the module).
 * An API of events only has no request queue, and listing an API in `apis` to listen to its
 * events gives no right to call it.
 */
export interface CallRightsInput {
  /** APIs the service serves (its request queues). */
  readonly served: readonly string[];
  /** APIs the module knows but does not register, that declare procedures. */
  readonly knownWithProcedures: readonly string[];
  /** The `calls` prop. */
  readonly explicit: readonly string[];
}

/** Marks a construct that serves APIs on a bus, so services in the same app can find it at synth time. */
const SERVED_APIS = Symbol.for('lightbus-aws.servedApis');

interface ServedApis {
  readonly busName: string;
  readonly apis: readonly string[];
}

/** Records that `construct` creates the request queues of `apis` on the bus `busName`. */
export function markServedApis(construct: IConstruct, busName: string, apis: readonly string[]): void {
  Object.defineProperty(construct, SERVED_APIS, { value: { busName, apis: [...apis] } satisfies ServedApis, enumerable: false });
}

/** The APIs served on `busName` by the constructs of `scope`'s stage (nested stages excluded). */
export function apisServedInStage(scope: IConstruct, busName: string): Set<string> {
  const root = stageRootOf(scope);
  const served = new Set<string>();
  for (const construct of root.node.findAll()) {
    const mark = (construct as unknown as { [SERVED_APIS]?: ServedApis })[SERVED_APIS];
    if (mark === undefined || mark.busName !== busName || stageRootOf(construct) !== root) continue;
    for (const api of mark.apis) served.add(api);
  }
  return served;
}

/**
 * Checks the `calls` prop: API names, none that the module defines without procedures (nothing to
 * call, and no queue to send to).
 */
export function validateCalls(constructPath: string, calls: readonly string[], knownWithoutProcedures: readonly string[]): void {
  for (const [index, api] of calls.entries()) {
    if (!API_NAME_PATTERN.test(api)) {
      throw new ConstructValidationError(constructPath, `calls[${index}]: invalid API name "${api}"; expected a dotted name such as "billing" or "support.case".`, {
        api,
      });
    }
    if (knownWithoutProcedures.includes(api)) {
      throw new ConstructValidationError(
        constructPath,
        `calls[${index}]: API "${api}" declares no procedures in this bus module (events only), so it has no request queue to call. ` +
          `List in calls only APIs with procedures; the APIs this module defines without procedures are ${list(knownWithoutProcedures)}.`,
        { api },
      );
    }
  }
}

/**
 * The APIs a service's workers may call, sorted. `servedInApp` is every API served on the bus in
 * the app. Warns (on `scope`) about each API the module defines with procedures that nothing in
 * the app serves and `calls` does not list: its workers get no right to call it.
 */
export function resolveCallableApis(scope: IConstruct, input: CallRightsInput, servedInApp: ReadonlySet<string>): string[] {
  const explicit = new Set(input.explicit);
  const unserved = input.knownWithProcedures.filter((api) => !servedInApp.has(api) && !explicit.has(api));
  if (unserved.length > 0) {
    Annotations.of(scope).addWarningV2(
      'lightbus-aws:callableApiNotServed',
      `The bus module defines ${list(unserved)} with procedures, but no LightbusService on this bus in this app serves ` +
        `${unserved.length === 1 ? 'it' : 'them'}, so the workers get no right to call ${unserved.length === 1 ? 'it' : 'them'}. ` +
        'If they call an API served outside this app, list it in `calls`.',
    );
  }
  const inApp = input.knownWithProcedures.filter((api) => servedInApp.has(api));
  return [...new Set([...input.served, ...inApp, ...explicit])].sort();
}

/**
 * Runs `action` once, when the app synthesizes (every construct of the stage exists by then),
 * before any other construct of the stage is visited by an aspect: grants made there reach the
 * policies before those are checked or rendered.
 */
export function atSynthesis(scope: IConstruct, action: () => void): void {
  const root = stageRootOf(scope);
  Aspects.of(root).add(new RunOnceAtRoot(root, action), { priority: AspectPriority.MUTATING });
}

class RunOnceAtRoot implements IAspect {
  private done = false;
  public constructor(
    private readonly root: IConstruct,
    private readonly action: () => void,
  ) {}

  public visit(node: IConstruct): void {
    if (node !== this.root || this.done) return;
    this.done = true;
    this.action();
  }
}

/** The stage a construct is synthesized with (aspects do not cross into nested stages), or its root. */
function stageRootOf(construct: IConstruct): IConstruct {
  return Stage.of(construct) ?? construct.node.root;
}
