/**
 * Errors of deploying a bus: a CDK construct's props that cannot be deployed, and the deploy-time
 * schema resource (`Custom::LightbusSchemas`) failing. Kept apart from index.ts (which they build
 * on) so index.ts need not import them back: cdk/ and handlers/ import this file and re-export its
 * classes from their own index.ts.
 */
import { ConfigurationError, LightbusError, type LightbusErrorContext } from './index';

/**
 * A construct's props (or a method's arguments) that cannot be deployed. The message starts with
 * the construct's path (`Stack/Service`), says what was given and what is allowed; the path is in
 * the context too.
 */
export class ConstructValidationError extends ConfigurationError {
  /** The construct's path in the construct tree (`this.node.path`). */
  public readonly constructPath: string;

  public constructor(constructPath: string, message: string, context: LightbusErrorContext = {}) {
    super(`${constructPath}: ${message}`, { ...context, constructPath });
    this.constructPath = constructPath;
  }

  /**
   * Runs `work` (loading a bus module, validating a name) and turns a ConfigurationError it throws
   * into one that carries the construct's path.
   */
  public static at<T>(constructPath: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof ConstructValidationError || !(error instanceof ConfigurationError)) throw error;
      throw new ConstructValidationError(constructPath, error.message, error.context);
    }
  }
}

/** Which schema resource request an error is about. */
export interface SchemaResourceRequestContext {
  readonly requestType: string;
  readonly logicalResourceId: string;
}

/**
 * A `Custom::LightbusSchemas` request the worker function will not serve as asked: another
 * resource type, or a template that disagrees with the bundled bus module.
 */
export class SchemaResourceRequestError extends LightbusError {
  public constructor(message: string, context: SchemaResourceRequestContext & LightbusErrorContext) {
    super('SCHEMA_RESOURCE_REQUEST', message, context);
  }
}

/** Writing (PutItem) or withdrawing (DeleteItem) a deployed schema item failed. */
export class SchemaItemWriteError extends LightbusError {
  public constructor(operation: 'PutItem' | 'DeleteItem', key: string, table: string, cause: unknown) {
    super(
      'SCHEMA_ITEM_WRITE',
      `${operation} of ${key} ${operation === 'PutItem' ? 'into' : 'from'} table ${table} failed: ${describeCause(cause)}`,
      { operation, key, table },
      { cause },
    );
  }
}

/**
 * The response to a custom-resource request could not be PUT to CloudFormation's ResponseURL
 * (CloudFormation then waits for it until its own timeout).
 */
export class CustomResourceResponseError extends LightbusError {
  public constructor(status: string, problem: string, context: SchemaResourceRequestContext) {
    super('CUSTOM_RESOURCE_RESPONSE', `Could not PUT the ${status} response to CloudFormation's ResponseURL: ${problem}`, {
      ...context,
      status,
      problem,
    });
  }
}

/** `Name: message` of an SDK error (its name is the useful part), or the message alone. */
export function describeCause(error: unknown): string {
  const e = error as Error | undefined;
  return e?.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : (e?.message ?? String(error));
}
