import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConstructValidationError } from '../runtime/errors/deployment';

/**
 * The workers' default runtime: the newest Node.js runtime this aws-cdk-lib knows,
 * `Runtime.NODEJS_LATEST`, the runtime `NodejsFunction` defaults to under the
 * `@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion` feature flag. (That flag's off-branch, the
 * legacy Node.js 16 kept for old NodejsFunction apps, has no counterpart here: this construct has
 * no such legacy, and cdk-nag's AwsSolutions-L1 wants the newest runtime.) Upgrading aws-cdk-lib
 * moves the default along; pin one with the `runtime` prop.
 */
export function defaultWorkerRuntime(): lambda.Runtime {
  return lambda.Runtime.NODEJS_LATEST;
}

/**
 * esbuild's target for a Node.js runtime, from its name (`nodejs24.x` → `node24`), as
 * NodejsFunction derives it: the bundle uses what the function's Node.js supports, no less.
 */
export function esbuildTargetOf(runtime: lambda.Runtime, constructPath: string): string {
  const major = Token.isUnresolved(runtime.name) ? undefined : /^nodejs(\d+)/.exec(runtime.name)?.[1];
  if (runtime.family !== lambda.RuntimeFamily.NODEJS || major === undefined) {
    throw new ConstructValidationError(
      constructPath,
      `runtime must be a Node.js runtime with a literal name such as "nodejs24.x" (the bundle's target derives from it); got "${runtime.name}".`,
      { runtime: runtime.name },
    );
  }
  return `node${major}`;
}

const ENABLE_SOURCE_MAPS = '--enable-source-maps';

/**
 * NODE_OPTIONS for a worker whose bundle carries a source map: the user's own NODE_OPTIONS with
 * `--enable-source-maps` added (once), never replaced.
 */
export function nodeOptionsWithSourceMaps(userNodeOptions: string | undefined): string {
  const given = userNodeOptions?.trim() ?? '';
  if (given.split(/\s+/).includes(ENABLE_SOURCE_MAPS)) return given;
  return given ? `${given} ${ENABLE_SOURCE_MAPS}` : ENABLE_SOURCE_MAPS;
}
