import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { BusClient } from '../client/bus-client';
import type { ListenerRegistration } from '../client/registry';
import type { ReceivedEvent, RpcContext } from '../client/types';
import { LightbusError, MessageTooLargeError, MalformedMessageError, UnknownMemberError, ValidationError } from '../errors';
import { DeadLetterAttributes, parseEventDelivery, parseRpcRequest, type RpcRequest, type WireError } from '../messages';
import { castIncoming, parseOrThrow, toWireValue } from '../schema';
import { queueRoles, type ListenerModel, type QueueModel, type QueueRole, type RpcQueueModel } from '../topology';
import { DeadLetterReason, type DispatchOutcome, type InboundMessage } from './outcome';
import { toWireError } from './wire-error';

/**
 * The largest result written to the results table: DynamoDB items are limited to 400 KB, and the
 * item has other attributes besides. A larger result becomes a MessageTooLargeError for the caller.
 */
export const MAX_RESULT_BYTES = 380 * 1024;

/**
 * Handles one received message: parse, validate, run the procedure or listener, write the
 * result, and decide between done, retry and dead-letter. The local worker and the Lambda
 * handler both use this, so both behave the same. It never throws: every failure becomes an
 * outcome, so one bad message cannot crash a worker.
 */
export class Dispatcher {
  private roles: Map<string, QueueRole> | undefined;
  private listenersByName: Map<string, ListenerRegistration> | undefined;

  public constructor(private readonly bus: BusClient) {}

  /** The queues this dispatcher can handle, by name. */
  public get queues(): Map<string, QueueRole> {
    this.roles ??= queueRoles(this.bus.topology());
    return this.roles;
  }

  public async dispatch(message: InboundMessage): Promise<DispatchOutcome> {
    const role = this.queues.get(message.queueName);
    try {
      if (!role) {
        throw new LightbusError('UNKNOWN_QUEUE', `This bus module has no procedures or listener for queue "${message.queueName}".`, {
          queue: message.queueName,
        });
      }
      return role.kind === 'rpc' ? await this.handleRpc(message, role.model) : await this.handleEvent(message, role.model);
    } catch (error) {
      // Only infrastructure failures get here (DynamoDB or SQS unavailable): try again later.
      const delaySeconds = role ? retryDelay(message.receiveCount, 1, role.model.visibilityTimeoutSeconds) : 30;
      this.bus.logger.error('Message failed; it will be retried', {
        queue: message.queueName,
        messageId: message.messageId,
        receiveCount: message.receiveCount,
        error: error as Error,
      });
      await this.delayRetry(message, delaySeconds);
      return { kind: 'retry', error: error as Error, delaySeconds };
    }
  }

  // ---- RPC -----------------------------------------------------------------------------------

  private async handleRpc(message: InboundMessage, model: RpcQueueModel): Promise<DispatchOutcome> {
    let request: RpcRequest;
    try {
      request = parseRpcRequest(message.body);
    } catch (error) {
      return this.answerMalformedCall(message, model, error as MalformedMessageError);
    }
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
      return this.deadLetter(message, model, DeadLetterReason.Invalid, error);
    }
    if (Date.now() >= request.deadline) {
      // At-most-once: the caller gives up at its deadline (inclusive), so running the call now
      // could only surprise it.
      this.bus.logger.warn('Dropped an RPC call that arrived after its deadline', { ...log, lateByMs: Date.now() - request.deadline });
      return { kind: 'dropped', reason: 'expired' };
    }
    // Nothing above awaits: the claims of messages dispatched in one turn share one DynamoDB call.
    const claimed = await this.bus.transports.results.claim(
      { table, callId, api, procedure, claimedBy: this.bus.settings.processName, expiresAtEpochSeconds: this.expiresAt() },
      this.bus.logger,
    );
    if (!claimed) {
      this.bus.logger.info('Skipped a duplicate delivery of an RPC call', log);
      return { kind: 'dropped', reason: 'duplicate' };
    }
    const outcome = await this.runProcedure(request, model);
    if (!outcome.ok) {
      this.bus.logger.warn('RPC call failed; the caller gets the error', { ...log, error: outcome.error });
    }
    const written = await this.writeResult(table, request, this.resultPayload(request, outcome));
    if (!written.ok) {
      // The call ran but its result could not be stored. A redelivery would find the claim and be
      // dropped, so retrying is pointless: dead-letter the request with the cause for an operator.
      return this.deadLetter(message, model, DeadLetterReason.ResultNotWritten, written.error);
    }
    return { kind: 'done' };
  }

  /** What goes into the results item: the result, or the error, or an error saying the result is too large. */
  private resultPayload(
    request: RpcRequest,
    outcome: { ok: true; resultJson: string } | { ok: false; error: unknown },
  ): { ok: true; resultJson: string } | { ok: false; error: WireError } {
    if (!outcome.ok) return { ok: false, error: toWireError(outcome.error) };
    const size = Buffer.byteLength(outcome.resultJson, 'utf8');
    if (size <= MAX_RESULT_BYTES) return outcome;
    const error = new MessageTooLargeError(request.api, request.procedure, size, MAX_RESULT_BYTES, 'result');
    this.bus.logger.warn('RPC result too large for the results table; the caller gets an error', { callId: request.id, size });
    return { ok: false, error: toWireError(error) };
  }

  /**
   * Writes a call's result, retrying (with backoff) until the caller's deadline: the outcome is in
   * hand and the call must not run again, so the write is worth repeating here rather than
   * through a redelivery (which the claim would drop).
   */
  private async writeResult(
    table: string,
    request: RpcRequest,
    payload: { ok: true; resultJson: string } | { ok: false; error: WireError },
  ): Promise<{ ok: true } | { ok: false; error: Error }> {
    let delayMs = 50;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.bus.transports.results.complete(table, request.id, payload, this.expiresAt());
        return { ok: true };
      } catch (error) {
        const outOfTime = Date.now() + delayMs > request.deadline;
        this.bus.logger.error(outOfTime ? 'Could not write an RPC result; giving up at the deadline' : 'Could not write an RPC result; retrying', {
          api: request.api,
          procedure: request.procedure,
          callId: request.id,
          attempt,
          error: error as Error,
        });
        if (outOfTime) return { ok: false, error: error as Error };
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 1000);
      }
    }
  }

  private async runProcedure(
    request: RpcRequest,
    model: RpcQueueModel,
  ): Promise<{ ok: true; resultJson: string } | { ok: false; error: unknown }> {
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
      const result = hooks.observes('RpcExecution')
        ? await hooks.around(
            'RpcExecution',
            { api, member: procedure, callId: request.id, parameters, sender: request.sender, deadline: request.deadline },
            () => invokeProcedure(invoke, parameters, context, validate),
            (value) => value,
          )
        : await invokeProcedure(invoke, parameters, context, validate);
      return { ok: true, resultJson: JSON.stringify(toWireValue(result)) ?? 'null' };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * A call we cannot read. If its id and result table can still be read, the caller gets an
   * error result at once instead of a timeout; otherwise it goes to the dead-letter queue.
   */
  private async answerMalformedCall(
    message: InboundMessage,
    model: RpcQueueModel,
    error: MalformedMessageError,
  ): Promise<DispatchOutcome> {
    const callId = error.context.callId;
    const table = error.context.resultTable;
    if (typeof callId === 'string' && table === this.bus.transports.location.resultsTable) {
      this.bus.logger.warn('Answered a malformed RPC call with an error', { callId, error });
      await this.bus.transports.results.complete(table, callId, { ok: false, error: toWireError(error) }, this.expiresAt(), false);
      return { kind: 'done' };
    }
    return this.deadLetter(message, model, DeadLetterReason.Malformed, error);
  }

  // ---- Events --------------------------------------------------------------------------------

  private async handleEvent(message: InboundMessage, model: ListenerModel): Promise<DispatchOutcome> {
    let delivery: ReturnType<typeof parseEventDelivery>;
    try {
      delivery = parseEventDelivery(message.body);
    } catch (error) {
      return this.deadLetter(message, model, DeadLetterReason.Malformed, error as Error);
    }
    const registration = this.listener(model.listenerName);
    if (!registration) {
      const error = new LightbusError('UNKNOWN_LISTENER', `This bus module has no listener "${model.listenerName}".`, {
        listenerName: model.listenerName,
      });
      return this.deadLetter(message, model, DeadLetterReason.Unroutable, error);
    }
    const entry = registration.events.find((e) => e.api === delivery.api && e.event === delivery.event);
    if (!entry) {
      const error = new LightbusError(
        'UNROUTABLE_EVENT',
        `Listener "${model.listenerName}" does not listen to ${delivery.api}.${delivery.event}.`,
        { api: delivery.api, member: delivery.event },
      );
      return this.deadLetter(message, model, DeadLetterReason.Unroutable, error);
    }
    const eventSettings = this.bus.apiSettings(delivery.api);
    let parameters: unknown = eventSettings.castValues ? castIncoming(entry.definition.parameters, delivery.parameters) : delivery.parameters;
    if (eventSettings.validate.incoming) {
      try {
        parameters = parseOrThrow(entry.definition.parameters, parameters, {
          api: delivery.api,
          member: delivery.event,
          direction: 'incoming',
          part: 'parameters',
          what: 'event parameters',
        });
      } catch (error) {
        return this.deadLetter(message, model, DeadLetterReason.Invalid, error as ValidationError);
      }
    }
    const received: ReceivedEvent<never> = {
      id: delivery.id,
      eventBridgeId: delivery.eventBridgeId,
      api: delivery.api,
      event: delivery.event,
      parameters: parameters as never,
      firedAt: delivery.firedAt,
      sender: delivery.sender,
      receiveCount: message.receiveCount,
      listenerName: model.listenerName,
    };
    try {
      const hooks = this.bus.hooks;
      if (hooks.observes('EventExecution')) await this.runListenerWithHooks(registration, received);
      else await registration.handler(received, parameters as never);
      return { kind: 'done' };
    } catch (error) {
      return this.listenerFailed(message, model, registration, error as Error);
    }
  }

  /** The listener between the bus's before/afterEventExecution hooks; only called when some are registered. */
  private runListenerWithHooks(registration: ListenerRegistration, received: ReceivedEvent<never>): Promise<undefined> {
    const context = {
      api: received.api,
      member: received.event,
      eventId: received.id,
      listenerName: received.listenerName,
      parameters: received.parameters as unknown,
      sender: received.sender,
      receiveCount: received.receiveCount,
    };
    const run = async (): Promise<undefined> => {
      await registration.handler(received, received.parameters);
      return undefined;
    };
    return this.bus.hooks.around('EventExecution', context, run, () => undefined);
  }

  /**
   * A listener message whose work failed after its handler returned (the events it fired with
   * buffered delivery were not delivered): retried with the listener's backoff, or dead-lettered
   * on its last allowed receive, exactly as when the handler itself fails. If dead-lettering
   * fails, the message is retried instead: never lost.
   */
  public async listenerWorkFailed(message: InboundMessage, error: Error): Promise<DispatchOutcome> {
    const role = this.queues.get(message.queueName);
    const registration = role?.kind === 'listener' ? this.listener(role.model.listenerName) : undefined;
    if (role?.kind !== 'listener' || !registration) {
      throw new LightbusError('UNKNOWN_LISTENER', `Queue "${message.queueName}" is not a listener queue of this bus module.`, {
        queue: message.queueName,
      });
    }
    try {
      return await this.listenerFailed(message, role.model, registration, error);
    } catch (deadLetterError) {
      this.bus.logger.error('Could not dead-letter the message; it will be retried', { queue: message.queueName, messageId: message.messageId, error: deadLetterError as Error });
      return { kind: 'retry', error, delaySeconds: role.model.visibilityTimeoutSeconds };
    }
  }

  private async listenerFailed(
    message: InboundMessage,
    model: ListenerModel,
    registration: ListenerRegistration,
    error: Error,
  ): Promise<DispatchOutcome> {
    const fields = { listener: model.listenerName, messageId: message.messageId, receiveCount: message.receiveCount, error };
    if (message.receiveCount >= registration.maxReceives) {
      this.bus.logger.error(`Listener failed on its last allowed receive (${registration.maxReceives}); dead-lettering`, fields);
      return this.deadLetter(message, model, DeadLetterReason.RetriesExhausted, error);
    }
    const delaySeconds = retryDelay(message.receiveCount, registration.retryDelaySeconds, model.visibilityTimeoutSeconds);
    this.bus.logger.warn(`Listener failed; retrying in ${delaySeconds}s`, fields);
    await this.delayRetry(message, delaySeconds);
    return { kind: 'retry', error, delaySeconds };
  }

  private listener(listenerName: string): ListenerRegistration | undefined {
    if (!this.listenersByName || this.listenersByName.size !== this.bus.registry.listeners.length) {
      this.listenersByName = new Map(this.bus.registry.listeners.map((l) => [l.listenerName, l]));
    }
    return this.listenersByName.get(listenerName);
  }

  // ---- Shared --------------------------------------------------------------------------------

  private async deadLetter(
    message: InboundMessage,
    model: QueueModel,
    reason: DeadLetterReason,
    error: Error,
  ): Promise<DispatchOutcome> {
    const attributes: Record<string, MessageAttributeValue> = {
      [DeadLetterAttributes.Reason]: { DataType: 'String', StringValue: reason },
      [DeadLetterAttributes.ErrorName]: { DataType: 'String', StringValue: error.name || 'Error' },
      [DeadLetterAttributes.ErrorMessage]: { DataType: 'String', StringValue: (error.message || '(none)').slice(0, 4096) },
      [DeadLetterAttributes.SourceQueue]: { DataType: 'String', StringValue: model.queueName },
      [DeadLetterAttributes.ReceiveCount]: { DataType: 'Number', StringValue: String(message.receiveCount) },
    };
    // If this send fails, dispatch() turns the throw into a retry: the message is never lost.
    await this.bus.transports.queues.send(model.deadLetterQueueName, message.body, attributes);
    this.bus.logger.error('Moved a message to the dead-letter queue', {
      queue: model.queueName,
      deadLetterQueue: model.deadLetterQueueName,
      messageId: message.messageId,
      reason,
      error,
    });
    return { kind: 'deadLettered', reason, error };
  }

  private async delayRetry(message: InboundMessage, delaySeconds: number): Promise<void> {
    try {
      await this.bus.transports.queues.changeVisibility(message.queueName, message.receiptHandle, delaySeconds);
    } catch (error) {
      // Not fatal: the message still comes back, after the queue's own visibility timeout.
      this.bus.logger.warn('Could not set the retry delay', { queue: message.queueName, messageId: message.messageId, error: error as Error });
    }
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

/** Exponential backoff by receive count: base, 2×base, 4×base, ... capped at `max` seconds. */
export function retryDelay(receiveCount: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.round(baseSeconds * 2 ** Math.max(0, receiveCount - 1)));
}
