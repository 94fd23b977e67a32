import type { Logger } from '../logging';
import type { WireError, WireTrace } from '../messages';
import type { ClaimRequest } from '../transport';

/** A call's outcome as written to the results table: its result, or the error its caller gets. */
export type CallResultPayload =
  | { readonly ok: true; readonly resultJson: string }
  /** The result is in the payload bucket: its reference as JSON text (runtime/payloads). */
  | { readonly ok: true; readonly resultRefJson: string }
  | { readonly ok: false; readonly error: WireError };

/**
 * What the dispatcher needs of the results table (the transport's `ResultsStore` is one): claim a
 * call before running it, so an SQS duplicate never runs twice, then complete the claim.
 */
export interface CallResults {
  /** Resolves false when another delivery of the same call already claimed it. */
  claim(request: ClaimRequest, logger?: Pick<Logger, 'warn'>): Promise<boolean>;
  /**
   * Writes a call's outcome; `requireClaim: false` for calls that could not be claimed (malformed
   * ones); `trace`: the execution span's trace context, written on the item.
   */
  complete(table: string, callId: string, outcome: CallResultPayload, expiresAtEpochSeconds: number, requireClaim?: boolean, trace?: WireTrace): Promise<void>;
}

/**
 * A {@link CallResults} that asks `store()` for the real one on each call: the bus builds its
 * results store on first use, so a dispatcher made at module scope (a Lambda's cold start) builds
 * nothing until an RPC arrives.
 */
export function lazyCallResults(store: () => CallResults): CallResults {
  return {
    claim: (request, logger) => store().claim(request, logger),
    complete: (table, callId, outcome, expiresAt, requireClaim, trace) => store().complete(table, callId, outcome, expiresAt, requireClaim, trace),
  };
}
