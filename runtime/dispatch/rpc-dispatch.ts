import type { BusClient } from '../client/bus-client';
import type { RpcContext } from '../client/types';
import { LightbusError, MalformedMessageError, UnknownMemberError } from '../errors';
import { readRpcRequest, tooDeepError, type AnswerAddress, type RpcRequest, type WireTrace } from '../messages';
import { PayloadUnresolvableError, RESULT_ITEM_LIMIT } from '../payloads';
import { asWireValue, castIncoming, parseOrThrow } from '../schema';
import type { RpcQueueModel } from '../topology';
import { runIncoming, startExecutionSpan } from '../tracing/instrument';
import { UNTRACED, type LightbusSpan } from '../tracing/span';
import { ExecutionTimeoutError, withExecutionTimeout, type ExecutionTimeoutPolicy } from './execution-timeout';
import { DeadLetterReason, outcomeFailure, type DispatchOutcome, type InboundMessage, type OutcomeOrPromise } from './outcome';
import type { QueueActions } from './queue-actions';
import type { CallResultPayload, CallResults } from './results';
import { boundedError, toWireError } from './wire-error';
import { isPermanentWriteError } from './write-errors';

/**
 * The largest result written into the results table itself: DynamoDB items are limited to 400 KB,
 * and the item has other attributes besides. A larger result goes to the payload bucket and the
 * item holds its reference (runtime/payloads, `RESULT_ITEM_LIMIT`).
 */
export const MAX_RESULT_BYTES = RESULT_ITEM_LIMIT;

/**
 * Parameters up to this size (JSON, UTF-8) ride along on the claim item, so whoever watches the
 * results table's stream (the dashboard) sees what a call asked; larger ones are left out, to keep
 * the claim within one DynamoDB write unit's reach.
 */
export const MAX_CLAIM_PARAMETERS_BYTES = 1024;

type ProcedureOutcome = { ok: true; resultJson: string } | { ok: false; error: unknown };

/**
 * Serves one RPC request message: check where its result goes and its deadline, claim the call
 * (an SQS duplicate never runs twice), run the procedure, write the result (bounded in size,
 * retried until the caller's deadline or one visibility timeout). Infrastructure failures (claim, DynamoDB, SQS) are thrown, for the dispatcher to retry.
 */
export class RpcDispatch {
  public constructor(
    private readonly bus: BusClient,
    private readonly results: CallResults,
    private readonly actions: QueueActions,
    private readonly executionTimeout: ExecutionTimeoutPolicy = () => undefined,
  ) {}

  // Not async: it only picks the work and hands back its promise (a layer less per message).
  public handle(message: InboundMessage, model: RpcQueueModel): OutcomeOrPromise {
    const reading = readRpcRequest(message.body);
    if (!reading.ok) return this.answerMalformedCall(message, model, reading.error, reading.answerTo);
    const request = reading.request;
    // The execution span (SERVER) continues the caller's trace; failures are recorded on it.
    // Without trace context (the bus's setting), the received traceparent is ignored.
    if (!this.bus.settings.traceContext) return this.serve(message, model, request, UNTRACED);
    const span = startExecutionSpan(request, message.queueName, message.awsTraceHeader);
    return runIncoming(span, () => this.serve(message, model, request, span), outcomeFailure);
  }

  /** A well-formed request, within its execution span. */
  private async serve(message: InboundMessage, model: RpcQueueModel, request: RpcRequest, span: LightbusSpan): Promise<DispatchOutcome> {
    const { api, procedure, id: callId } = request;
    const log = { api, procedure, callId };
    const table = request.returnPath.table;
    const ownTable = this.bus.transports.location.resultsTable;
    if (table !== ownTable) {
      // Workers write only to their own bus's table: a caller must not be able to point a
      // worker's write permissions at another table. Retrying cannot help.
      const error = new LightbusError(
        'FOREIGN_RESULT_TABLE',
        `The call to ${api}.${procedure} (${callId}) asks for its result in table "${table}", but this bus writes results ` +
          `only to "${ownTable}". Is the caller configured for another bus (LIGHTBUS_BUS_NAME, LIGHTBUS_RESULTS_TABLE)?`,
        { api, member: procedure, callId, table },
      );
      return this.actions.deadLetter(message, model, DeadLetterReason.Invalid, error);
    }
    if (Date.now() >= request.deadline) {
      // At-most-once: the caller gives up at its deadline (inclusive), so running the call now
      // could only surprise it.
      this.bus.logger.warn('Dropped an RPC call that arrived after its deadline', { ...log, lateByMs: Date.now() - request.deadline });
      return { kind: 'dropped', reason: 'expired' };
    }
    // Parameters by reference are fetched before the claim: one that cannot be followed never claims the call.
    if (request.parametersRef !== undefined) {
      const unresolvable = await this.resolveParameters(message, model, request);
      if (unresolvable) return unresolvable;
    }
    // Nothing above awaits (but a reference): the claims of messages dispatched in one turn share one DynamoDB call.
    const claimed = await this.results.claim(
      { table, callId, api, procedure, claimedBy: this.bus.settings.processName, expiresAtEpochSeconds: this.expiresAt(), ...claimParameters(request) },
      this.bus.logger,
    );
    if (!claimed) {
      this.bus.logger.info('Skipped a duplicate delivery of an RPC call', log);
      return { kind: 'dropped', reason: 'duplicate' };
    }
    const outcome = await this.runProcedure(request, model);
    if (!outcome.ok) {
      span.fail(outcome.error);
      // Bounded: a caller can inflate an error (a ValidationError listing 60,000 issues) to megabytes.
      this.bus.logger.warn('RPC call failed; the caller gets the error', { ...log, error: boundedError(outcome.error) });
    }
    // The result item names the execution span, so a reader of the table can find the trace.
    const trace = { traceparent: span.traceparent, tracestate: span.tracestate };
    const written = await this.writeResult(table, request, await this.resultPayload(request, outcome), model, trace);
    if (!written.ok) {
      // The call ran but its result could not be stored. A redelivery would find the claim and be
      // dropped, so retrying is pointless: dead-letter the request with the cause for an operator.
      return this.actions.deadLetter(message, model, DeadLetterReason.ResultNotWritten, written.error);
    }
    return { kind: 'done' };
  }

  /**
   * What goes into the results item: the result, or the error. A result too large for the item
   * (or above payloads.offloadAbove) goes to the payload bucket and the item gets its reference; if
   * that cannot be stored, the caller gets the error.
   */
  private async resultPayload(request: RpcRequest, outcome: ProcedureOutcome): Promise<CallResultPayload> {
    if (!outcome.ok) return { ok: false, error: toWireError(outcome.error) };
    try {
      const stored = await this.bus.transports.offloads.result(request.api, request.procedure, request.id, outcome.resultJson);
      return { ok: true, ...stored };
    } catch (error) {
      this.bus.logger.error('Could not store a large RPC result in the payload bucket; the caller gets an error', {
        callId: request.id,
        error: boundedError(error),
      });
      return { ok: false, error: toWireError(error) };
    }
  }

  /**
   * Follows a request's `parametersRef`: the parameters take their place in the request. One that
   * cannot be resolved for good dead-letters the request with the cause (reason
   * `payload-unresolvable`) and answers the caller with the error, where the call has no item yet.
   * A transient S3 failure is thrown, for the dispatcher to retry.
   */
  private async resolveParameters(message: InboundMessage, model: RpcQueueModel, request: RpcRequest): Promise<DispatchOutcome | undefined> {
    const { api, procedure, id: callId } = request;
    let error: Error;
    try {
      request.parameters = await this.bus.transports.references.callParameters(api, procedure, callId, request.parametersRef!);
      const tooDeep = tooDeepError(`The call to ${api}.${procedure} (${callId})`, request.parameters, { api, member: procedure, callId });
      if (!tooDeep) return undefined;
      error = tooDeep;
    } catch (caught) {
      if (!(caught instanceof PayloadUnresolvableError)) throw caught;
      error = caught;
    }
    this.bus.logger.error('Dead-lettered an RPC call whose parameters cannot be resolved', { api, procedure, callId, error: boundedError(error) });
    try {
      await this.results.complete(request.returnPath.table, callId, { ok: false, error: toWireError(error) }, this.expiresAt(), false);
    } catch (writeError) {
      // The caller then times out; the dead letter still carries the cause.
      this.bus.logger.warn('Could not answer the call with the error', { callId, error: boundedError(writeError) });
    }
    const reason = error instanceof PayloadUnresolvableError ? DeadLetterReason.PayloadUnresolvable : DeadLetterReason.Malformed;
    return this.actions.deadLetter(message, model, reason, error);
  }

  /**
   * Writes a call's result, retrying (with backoff) transient failures: the outcome is in hand and
   * the call must not run again, so the write is worth repeating here rather than through a
   * redelivery (which the claim would drop). Retries stop at the caller's deadline or after one
   * visibility timeout, whichever is first: the deadline is the caller's to choose (1e300 would
   * keep the worker at it, its heartbeat hiding the message, for as long as the write fails). A
   * write DynamoDB refuses for what it is (an item too large, say) is not retried at all.
   */
  private async writeResult(
    table: string,
    request: RpcRequest,
    payload: CallResultPayload,
    model: RpcQueueModel,
    trace: WireTrace,
  ): Promise<{ ok: true } | { ok: false; error: Error }> {
    const giveUpAt = Math.min(request.deadline, Date.now() + model.visibilityTimeoutSeconds * 1000);
    let delayMs = 50;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.results.complete(table, request.id, payload, this.expiresAt(), true, trace);
        return { ok: true };
      } catch (error) {
        const permanent = isPermanentWriteError(error);
        const outOfTime = Date.now() + delayMs > giveUpAt;
        const message = permanent
          ? 'DynamoDB refused an RPC result; not retrying'
          : outOfTime
            ? 'Could not write an RPC result; giving up at the deadline or the visibility timeout'
            : 'Could not write an RPC result; retrying';
        this.bus.logger.error(message, {
          api: request.api,
          procedure: request.procedure,
          callId: request.id,
          attempt,
          error: boundedError(error),
        });
        if (permanent || outOfTime) return { ok: false, error: error as Error };
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 1000);
      }
    }
  }

  private async runProcedure(request: RpcRequest, model: RpcQueueModel): Promise<ProcedureOutcome> {
    const { api, procedure } = request;
    try {
      if (api !== model.api) {
        throw new LightbusError('WRONG_QUEUE', `A call to ${api}.${procedure} arrived on the queue of API "${model.api}".`, {
          api,
          member: procedure,
        });
      }
      const implementation = this.bus.registry.implementation(api);
      const definition = this.bus.registry.rpcDefinition(api, procedure);
      const fn = implementation?.[procedure];
      if (!fn) throw new UnknownMemberError(api, 'procedure', procedure, Object.keys(implementation ?? {}));
      const settings = this.bus.apiSettings(api);
      // Dates, bytes, ... arrive as JSON: turn them back into the declared types before validating.
      const received = settings.castValues ? castIncoming(definition.parameters, request.parameters) : request.parameters;
      const parameters = settings.validate.incoming
        ? parseOrThrow(definition.parameters, received, {
            api,
            member: procedure,
            direction: 'incoming',
            part: 'parameters',
            what: 'parameters',
          })
        : received;
      const context: RpcContext = { callId: request.id, api, procedure, deadline: request.deadline, sender: request.sender };
      const invoke = fn as (p: unknown, c: RpcContext) => unknown;
      const validate = settings.validate.outgoing ? definition.response : undefined;
      const hooks = this.bus.hooks;
      const execute = () =>
        hooks.observes('RpcExecution')
          ? hooks.around(
              'RpcExecution',
              { api, member: procedure, callId: request.id, parameters, sender: request.sender, deadline: request.deadline },
              () => invokeProcedure(invoke, parameters, context, validate),
              (value) => value,
            )
          : invokeProcedure(invoke, parameters, context, validate);
      const timeoutMs = this.executionTimeout({ kind: 'procedure', api, procedure, deadline: request.deadline });
      const result = await withExecutionTimeout(execute, timeoutMs, () => {
        this.bus.logger.error('Procedure ran past its execution timeout; abandoned, the caller gets an error', { api, procedure, callId: request.id, timeoutMs });
        return new ExecutionTimeoutError(`Procedure ${api}.${procedure}`, timeoutMs ?? 0, { api, member: procedure, callId: request.id });
      });
      return { ok: true, resultJson: JSON.stringify(asWireValue(result)) ?? 'null' };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * A call we cannot read. If its id and result table can still be read (`answerTo`) and the
   * table is this bus's own, the caller gets an error result at once instead of a timeout;
   * otherwise it goes to the dead-letter queue. The error is written only where the call has no
   * item yet: a malformed copy carrying the id of a call that is claimed (running) or answered must
   * never overwrite it.
   */
  private async answerMalformedCall(
    message: InboundMessage,
    model: RpcQueueModel,
    error: MalformedMessageError,
    answerTo: AnswerAddress | undefined,
  ): Promise<DispatchOutcome> {
    if (answerTo === undefined || answerTo.table !== this.bus.transports.location.resultsTable) {
      return this.actions.deadLetter(message, model, DeadLetterReason.Malformed, error);
    }
    const { callId, table } = answerTo;
    this.bus.logger.warn('Answered a malformed RPC call with an error', { callId, error: boundedError(error) });
    try {
      await this.results.complete(table, callId, { ok: false, error: toWireError(error) }, this.expiresAt(), false);
    } catch (writeError) {
      // Retrying a write DynamoDB refuses for what it is cannot help; anything else is retried.
      if (!isPermanentWriteError(writeError)) throw writeError;
      return this.actions.deadLetter(message, model, DeadLetterReason.Malformed, error);
    }
    return { kind: 'done' };
  }

  private expiresAt(): number {
    return Math.floor(Date.now() / 1000) + this.bus.settings.resultTtlSeconds;
  }
}

/** Runs a procedure and validates what it returned (when `response` is given). */
async function invokeProcedure(
  fn: (p: unknown, c: RpcContext) => unknown,
  parameters: unknown,
  context: RpcContext,
  response: Parameters<typeof parseOrThrow>[0] | undefined,
): Promise<unknown> {
  const returned: unknown = await fn(parameters, context);
  if (!response) return returned;
  return parseOrThrow(response, returned, { api: context.api, member: context.procedure, direction: 'outgoing', part: 'response', what: 'result' });
}

/** The parameters to record on the claim, when small enough (MAX_CLAIM_PARAMETERS_BYTES). */
function claimParameters(request: RpcRequest): { parametersJson?: string } {
  const json = JSON.stringify(request.parameters);
  return Buffer.byteLength(json, 'utf8') <= MAX_CLAIM_PARAMETERS_BYTES ? { parametersJson: json } : {};
}
