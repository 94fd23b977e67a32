/**
 * The base of the error hierarchy, in a file of its own: every error file of runtime/errors builds
 * on it, and index.ts re-exports them all (a base declared in index.ts would make each such file
 * and index.ts import each other).
 */

/** Fields shared by every lightbus error. */
export interface LightbusErrorContext {
  readonly api?: string | undefined;
  readonly member?: string | undefined;
  readonly [key: string]: unknown;
}

/** Base class: catch this to catch anything lightbus throws on purpose. */
export class LightbusError extends Error {
  /** A stable machine-readable code, e.g. `RPC_TIMEOUT`. */
  public readonly code: string;
  public readonly context: LightbusErrorContext;

  public constructor(code: string, message: string, context: LightbusErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}
