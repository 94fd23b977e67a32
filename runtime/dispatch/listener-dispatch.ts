import type { BusClient } from '../client/bus-client';
import type { ListenerRegistration } from '../client/registry';
import type { ReceivedEvent } from '../client/types';
import { LightbusError, type ValidationError } from '../errors';
import { parseEventDelivery, tooDeepError } from '../messages';
import { PayloadUnresolvableError } from '../payloads';
import { castIncoming, parseOrThrow } from '../schema';
import type { ListenerModel } from '../topology';
import { runIncoming, startListenerSpan } from '../tracing/instrument';
import type { DedupeRecords } from '../transport/dedupe-store';
import { ExactlyOnceGuard } from './exactly-once';
import { FifoAttempts, type AttemptCounter } from './fifo-attempts';
import { ExecutionTimeoutError, withExecutionTimeout, type ExecutionTimeoutPolicy } from './execution-timeout';
import { DeadLetterReason, outcomeFailure, type DispatchOutcome, type InboundMessage, type OutcomeOrPromise } from './outcome';
import { retryDelay, type QueueActions } from './queue-actions';

type Delivery = ReturnType<typeof parseEventDelivery>;
type ListenedEntry = ListenerRegistration['events'][number];

/** The outcome of every listener that succeeded: one object, never changed. */
const DONE: DispatchOutcome = Object.freeze({ kind: 'done' });

/**
 * Runs one listener message: parse the EventBridge delivery, route it to its listener, validate,
 * run the handler; a failed handler is retried with the listener's backoff, or dead-lettered on its
 * last allowed receive. Messages that can never succeed (malformed, unroutable, invalid) are
 * dead-lettered at once. Infrastructure failures (SQS) are thrown, for the dispatcher to retry.
 */
export class ListenerDispatch {
  private listenersByName: Map<string, ListenerRegistration> | undefined;
  private readonly exactlyOnce: ExactlyOnceGuard;

  public constructor(
    private readonly bus: BusClient,
    private readonly actions: QueueActions,
    private readonly executionTimeout: ExecutionTimeoutPolicy = () => undefined,
    dedupeRecords: () => DedupeRecords = () => bus.transports.dedupe,
    private readonly attempts: AttemptCounter = new FifoAttempts(() => bus.transports.clients),
  ) {
    this.exactlyOnce = new ExactlyOnceGuard(dedupeRecords, bus.logger);
  }

  // Not async: it only picks the work and hands back its promise (a layer less per message).
  public handle(message: InboundMessage, model: ListenerModel): OutcomeOrPromise {
    let delivery: Delivery;
    try {
      delivery = parseEventDelivery(message.body);
    } catch (error) {
      return this.actions.deadLetter(message, model, DeadLetterReason.Malformed, error as Error);
    }
    // The listener's span (CONSUMER, process) continues the fire's trace; failures are recorded on it.
    // Without trace context (the bus's setting), the received traceparent is ignored.
    if (!this.bus.settings.traceContext) return this.deliver(message, model, delivery);
    const span = startListenerSpan(delivery, model.listenerName, message.receiveCount, message.awsTraceHeader);
    return runIncoming(span, () => this.deliver(message, model, delivery), outcomeFailure);
  }

  /**
   * A well-formed delivery, within its listener span: route, validate, run. Not async: on the
   * common path (inline parameters, a listener that succeeds) each promise saved counts, as this
   * runs per message.
   */
  private deliver(message: InboundMessage, model: ListenerModel, delivery: Delivery): OutcomeOrPromise {
    const registration = this.listener(model.listenerName);
    if (!registration) {
      const error = new LightbusError('UNKNOWN_LISTENER', `This bus module has no listener "${model.listenerName}".`, {
        listenerName: model.listenerName,
      });
      return this.actions.deadLetter(message, model, DeadLetterReason.Unroutable, error);
    }
    const entry = registration.events.find((e) => e.api === delivery.api && e.event === delivery.event);
    if (!entry) {
      const error = new LightbusError(
        'UNROUTABLE_EVENT',
        `Listener "${model.listenerName}" does not listen to ${delivery.api}.${delivery.event}.`,
        { api: delivery.api, member: delivery.event },
      );
      return this.actions.deadLetter(message, model, DeadLetterReason.Unroutable, error);
    }
    if (delivery.parametersRef !== undefined) return this.deliverByReference(message, model, registration, entry, delivery);
    return this.validateAndRun(message, model, registration, entry, delivery);
  }

  /** A delivery whose parameters are in the payload bucket: resolved first. */
  private async deliverByReference(
    message: InboundMessage,
    model: ListenerModel,
    registration: ListenerRegistration,
    entry: ListenedEntry,
    delivery: Delivery,
  ): Promise<DispatchOutcome> {
    const unresolvable = await this.resolveParameters(message, model, delivery);
    return unresolvable ?? this.validateAndRun(message, model, registration, entry, delivery);
  }

  /** Casts and validates the parameters, then runs the listener (once, for an exactly-once listener). */
  private validateAndRun(
    message: InboundMessage,
    model: ListenerModel,
    registration: ListenerRegistration,
    entry: ListenedEntry,
    delivery: Delivery,
  ): OutcomeOrPromise {
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
        return this.actions.deadLetter(message, model, DeadLetterReason.Invalid, error as ValidationError);
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
    // Methods rather than named closures: bundles keep function names (keepNames), and naming a
    // closure costs a defineProperty per message.
    const { listenerName, visibilityTimeoutSeconds } = model;
    const timeoutMs = this.executionTimeout({ kind: 'listener', listenerName, visibilityTimeoutSeconds });
    if (registration.exactlyOnce) {
      const leaseMs = Math.max(visibilityTimeoutSeconds * 1000, timeoutMs ?? 0);
      return this.runExactlyOnce(message, model, registration, received.id, { leaseMs, ttlSeconds: registration.exactlyOnce.ttlSeconds }, () =>
        Promise.resolve(this.runTimed(registration, received, timeoutMs)),
      );
    }
    const running = this.runTimed(registration, received, timeoutMs);
    // A listener that returned no promise has finished: done, without a promise.
    if (running === undefined) return DONE;
    return running.then(
      () => DONE,
      (error: Error) => this.failed(message, model, registration, error),
    );
  }

  /**
   * The listener within its execution timeout, if it has one: the promise of its end, or undefined
   * if it has already ended (it returned no promise, and a timeout cannot stop synchronous work).
   */
  private runTimed(registration: ListenerRegistration, received: ReceivedEvent<never>, timeoutMs: number | undefined): Promise<unknown> | undefined {
    const running = this.runListener(registration, received);
    if (timeoutMs === undefined || running === undefined) return running;
    const { listenerName, id: eventId } = received;
    return withExecutionTimeout(
      () => running,
      timeoutMs,
      () => new ExecutionTimeoutError(`Listener ${listenerName}`, timeoutMs, { listenerName, eventId }),
    );
  }

  /**
   * The listener, between the bus's EventExecution hooks when some are registered: the promise of
   * its end, or undefined when it returned no promise (nor other thenable) and so has ended. Not
   * async, and no promise for such a listener: this runs per message. A listener's value is not used.
   */
  private runListener(registration: ListenerRegistration, received: ReceivedEvent<never>): Promise<unknown> | undefined {
    try {
      const value: unknown = this.bus.hooks.observes('EventExecution')
        ? this.runListenerWithHooks(registration, received)
        : registration.handler(received, received.parameters);
      if (value instanceof Promise) return value;
      return isThenable(value) ? Promise.resolve(value) : undefined;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Follows an event's `parametersRef`: the parameters take their place in the delivery. One that
   * cannot be resolved for good is dead-lettered at once with the cause (reason
   * `payload-unresolvable`); a transient S3 failure is thrown, for the dispatcher to retry.
   */
  private async resolveParameters(
    message: InboundMessage,
    model: ListenerModel,
    delivery: Delivery,
  ): Promise<DispatchOutcome | undefined> {
    const { api, event, id } = delivery;
    try {
      delivery.parameters = await this.bus.transports.references.eventParameters(api, event, id, delivery.parametersRef!);
    } catch (error) {
      if (!(error instanceof PayloadUnresolvableError)) throw error;
      this.bus.logger.error('Dead-lettered an event whose parameters cannot be resolved', { listener: model.listenerName, api, event, eventId: id, error });
      return this.actions.deadLetter(message, model, DeadLetterReason.PayloadUnresolvable, error);
    }
    const tooDeep = tooDeepError(`The event ${api}.${event} (${id})`, delivery.parameters, { api, member: event, eventId: id });
    return tooDeep ? this.actions.deadLetter(message, model, DeadLetterReason.Malformed, tooDeep) : undefined;
  }

  /**
   * An exactly-once listener's delivery: the handler runs only if this delivery can claim the
   * event id. Already handled: dropped as a duplicate. Running elsewhere: retried once that
   * delivery's lease may have run out. DynamoDB failures before the handler ran are thrown, for the
   * dispatcher to retry.
   */
  private async runExactlyOnce(
    message: InboundMessage,
    model: ListenerModel,
    registration: ListenerRegistration,
    eventId: string,
    claim: { readonly leaseMs: number; readonly ttlSeconds: number },
    runTimed: () => Promise<unknown>,
  ): Promise<DispatchOutcome> {
    const target = {
      table: this.bus.transports.location.resultsTable,
      service: this.bus.settings.serviceName ?? '',
      listenerName: model.listenerName,
      eventId,
      claimedBy: this.bus.settings.processName,
      ...claim,
    };
    const outcome = await this.exactlyOnce.run(target, runTimed);
    switch (outcome.kind) {
      case 'ran':
        return { kind: 'done' };
      case 'skipped':
        return { kind: 'dropped', reason: 'duplicate' };
      case 'failed':
        return this.failed(message, model, registration, outcome.error);
      case 'busy': {
        const error = new LightbusError('EVENT_IN_PROGRESS', `Another delivery of event ${eventId} is running listener ${model.listenerName}; retrying later.`, {
          listenerName: model.listenerName,
          eventId,
        });
        this.bus.logger.info(`Event is being handled by another delivery; retrying in ${outcome.retryInSeconds}s`, { listener: model.listenerName, eventId });
        await this.actions.delayRetry(message, outcome.retryInSeconds);
        return { kind: 'retry', error, delaySeconds: outcome.retryInSeconds };
      }
    }
  }

  /**
   * A listener message whose work failed after its handler returned (the events it fired with
   * buffered delivery were not delivered): retried with the listener's backoff, or dead-lettered
   * on its last allowed receive, exactly as when the handler itself fails. If dead-lettering
   * fails, the message is retried instead: never lost. Throws for a queue that is not one of this
   * bus module's listeners.
   */
  public async workFailed(message: InboundMessage, model: ListenerModel, error: Error): Promise<DispatchOutcome> {
    const registration = this.listener(model.listenerName);
    if (!registration) {
      throw new LightbusError('UNKNOWN_LISTENER', `Queue "${message.queueName}" is not a listener queue of this bus module.`, {
        queue: message.queueName,
      });
    }
    try {
      return await this.failed(message, model, registration, error);
    } catch (deadLetterError) {
      this.bus.logger.error('Could not dead-letter the message; it will be retried', {
        queue: message.queueName,
        messageId: message.messageId,
        error: deadLetterError as Error,
      });
      return { kind: 'retry', error, delaySeconds: model.visibilityTimeoutSeconds };
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

  private async failed(message: InboundMessage, model: ListenerModel, registration: ListenerRegistration, error: Error): Promise<DispatchOutcome> {
    const attempt = await this.attemptOf(message, model);
    const fields = { listener: model.listenerName, messageId: message.messageId, receiveCount: message.receiveCount, attempt, error };
    if (attempt >= registration.maxReceives) {
      this.bus.logger.error(`Listener failed on its last allowed attempt (${registration.maxReceives}); dead-lettering`, fields);
      // The dead letter's receive count is the attempts that ran (on a FIFO queue, fewer than its receives).
      return this.actions.deadLetter({ ...message, receiveCount: attempt }, model, DeadLetterReason.RetriesExhausted, error);
    }
    const delaySeconds = retryDelay(attempt, registration.retryDelaySeconds, model.visibilityTimeoutSeconds);
    this.bus.logger.warn(`Listener failed; retrying in ${delaySeconds}s`, fields);
    await this.actions.delayRetry(message, delaySeconds);
    return { kind: 'retry', error, delaySeconds };
  }

  /**
   * Which attempt of the message just failed: its receive count, except on a FIFO queue, where
   * receives also count the times it was held back unrun behind its group's failing message, so the
   * failed runs are counted per message instead (fifo-attempts.ts). Throws if that count cannot be
   * written (the dispatcher then retries the message).
   */
  private attemptOf(message: InboundMessage, model: ListenerModel): Promise<number> | number {
    if (model.fifo !== true) return message.receiveCount;
    const { resultsTable } = this.bus.transports.location;
    return this.attempts.failed({ table: resultsTable, service: this.bus.settings.serviceName ?? '', listenerName: model.listenerName, messageId: message.messageId });
  }

  private listener(listenerName: string): ListenerRegistration | undefined {
    if (!this.listenersByName || this.listenersByName.size !== this.bus.registry.listeners.length) {
      this.listenersByName = new Map(this.bus.registry.listeners.map((l) => [l.listenerName, l]));
    }
    return this.listenersByName.get(listenerName);
  }
}

/** A promise of another kind (a listener's own thenable), which is awaited as a promise is. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
