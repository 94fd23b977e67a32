import { createHash } from 'node:crypto';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ClientEnvironment } from '../runtime/config';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { CALLER_SCOPE_RULE, callerScopeOf, isCallerScope } from '../runtime/topology';
import { isEnvironmentTarget } from './environment-target';

/**
 * Which caller scope each grantee's bus client uses (docs/security.md, "Caller scopes"). A process
 * has one scope, so every grantCall to one grantee must agree on it; the grant (reads of
 * `<scope>.*` only) and the client's call ids (`<scope>.<uuid>`) then match.
 */
const ASSIGNED = new WeakMap<object, string>();
/** Grantees whose process derives its scope itself (a service's workers, from LIGHTBUS_SERVICE_NAME). */
const DERIVES_OWN_SCOPE = new WeakSet<object>();

/** Options of {@link assignCallerScope}. */
export interface AssignCallerScopeOptions {
  /** The scope asked for. @default the grantee's scope so far, else one derived from its construct path */
  readonly callerScope?: string;
  /**
   * Set LIGHTBUS_CALLER_SCOPE on a grantee that takes environment variables. A service's own
   * workers derive the same scope from LIGHTBUS_SERVICE_NAME, so they need not.
   * @default true
   */
  readonly setEnvironment?: boolean;
  /**
   * The grantee's process derives this scope itself (a service's worker): no later grant sets
   * LIGHTBUS_CALLER_SCOPE on it.
   * @default false
   */
  readonly derivedByProcess?: boolean;
}

/**
 * Records (and returns) the caller scope of `grantee`. Throws a ConstructValidationError for a
 * malformed scope, for a scope other than the one the grantee already has, and for a grantee
 * whose environment cannot be set when no scope is given (its process could not know it).
 */
export function assignCallerScope(constructPath: string, grantee: iam.IGrantable, options: AssignCallerScopeOptions = {}): string {
  const assigned = ASSIGNED.get(grantee);
  const given = options.callerScope;
  if (given !== undefined && !isCallerScope(given)) {
    throw new ConstructValidationError(constructPath, `callerScope: "${given}" is not a caller scope; expected ${CALLER_SCOPE_RULE}.`, { callerScope: given });
  }
  if (given !== undefined && assigned !== undefined && given !== assigned) {
    throw new ConstructValidationError(
      constructPath,
      `callerScope: ${describe(grantee)} already calls with caller scope "${assigned}"; got "${given}". A process has one caller scope: give every grant to it the same one.`,
      { callerScope: given },
    );
  }
  const scope = given ?? assigned ?? derivedScope(grantee);
  if (scope === undefined) {
    throw new ConstructValidationError(
      constructPath,
      `grantCall: ${describe(grantee)} takes no environment variables, so its caller scope cannot be set for it. Give { callerScope: '<scope>' } ` +
        `(${CALLER_SCOPE_RULE}) and run its bus client with the same scope (lightbus.create({ callerScope }) or ${ClientEnvironment.CallerScope}).`,
    );
  }
  ASSIGNED.set(grantee, scope);
  if (options.derivedByProcess) DERIVES_OWN_SCOPE.add(grantee);
  if ((options.setEnvironment ?? true) && !DERIVES_OWN_SCOPE.has(grantee) && isEnvironmentTarget(grantee)) grantee.addEnvironment(ClientEnvironment.CallerScope, scope);
  return scope;
}

/** The caller scope of a service's workers: derived from the service name as the runtime does (callerScopeOf). */
export function serviceCallerScope(serviceName: string | undefined): string {
  return callerScopeOf({ serviceName });
}

/**
 * A function's default scope: its construct id (scope-safe, cut) and a hash of its path, so two
 * functions never share one by accident. Only for a grantee whose environment can carry it.
 */
function derivedScope(grantee: iam.IGrantable): string | undefined {
  if (!isEnvironmentTarget(grantee) || !Construct.isConstruct(grantee)) return undefined;
  const hash = createHash('sha256').update(grantee.node.path).digest('hex').slice(0, 8);
  return `${callerScopeOf({ serviceName: grantee.node.id }).slice(0, 55)}-${hash}`;
}

function describe(grantee: iam.IGrantable): string {
  return Construct.isConstruct(grantee) ? `"${grantee.node.path}"` : 'the grantee';
}
