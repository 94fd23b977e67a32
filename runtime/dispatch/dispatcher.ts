import type { BusClient } from '../client/bus-client';
import { LightbusError } from '../errors';
import { queueRoles, type QueueRole } from '../topology';
import { runInTraceScope, startEachInTraceScope } from '../tracing/active';
import type { ExecutionTimeoutPolicy } from './execution-timeout';
import { ListenerDispatch } from './listener-dispatch';
import type { DispatchOutcome, InboundMessage, OutcomeOrPromise } from './outcome';
import { QueueActions, retryDelay } from './queue-actions';
import { lazyCallResults, type CallResults } from './results';
import { RpcDispatch } from './rpc-dispatch';

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  /**
   * Where calls are claimed and their results written.
   * @default the bus's results store (`bus.transports.results`), built when the first RPC arrives
   */
  readonly results?: CallResults;
  /**
   * How long each procedure and listener may run before it fails with an ExecutionTimeoutError
   * (the caller gets the error; a listener is retried with its backoff, or dead-lettered).
   * @default - no limit (on Lambda the function's own timeout bounds it)
   */
  readonly executionTimeout?: ExecutionTimeoutPolicy;
}

/**
 * Handles one received message: parse, validate, run the procedure or listener, write the
 * result, and decide between done, retry and dead-letter. The local worker and the Lambda
 * handler both use this (through a {@link RecordLifecycle}), so both behave the same. It never
 * throws: every failure becomes an outcome, so one bad message cannot crash a worker.
 */
export class Dispatcher {
  private roles: Map<string, QueueRole> | undefined;
  private readonly actions: QueueActions;
  private readonly rpcs: RpcDispatch;
  private readonly listeners: ListenerDispatch;

  public constructor(
    private readonly bus: BusClient,
    options: DispatcherOptions = {},
  ) {
    this.actions = new QueueActions(() => bus.transports.queues, bus.logger);
    const timeout: ExecutionTimeoutPolicy = options.executionTimeout ?? (() => undefined);
    this.rpcs = new RpcDispatch(bus, options.results ?? lazyCallResults(() => bus.transports.results), this.actions, timeout);
    this.listeners = new ListenerDispatch(bus, this.actions, timeout);
  }

  /** The queues this dispatcher can handle, by name. */
  public get queues(): Map<string, QueueRole> {
    this.roles ??= queueRoles(this.bus.topology());
    return this.roles;
  }

  /**
   * Dispatches one message in a trace scope of its own, which the RPC or listener dispatch fills
   * in once it has read the message's trace context: every log line about the message, this
   * method's included, then carries its trace id.
   */
  public dispatch(message: InboundMessage): Promise<DispatchOutcome> {
    return Promise.resolve(this.bus.settings.traceContext ? runInTraceScope(() => this.dispatchInScope(message)) : this.dispatchInScope(message));
  }

  /**
   * Starts the dispatch of each message of a batch, each in a trace scope of its own as
   * {@link dispatch} does, inside `wrap`; returns their outcomes in order, each known now (a
   * listener that returned no promise) or promised.
   */
  public dispatchEach(
    messages: readonly InboundMessage[],
    wrap: (message: InboundMessage, dispatch: () => OutcomeOrPromise) => OutcomeOrPromise,
  ): OutcomeOrPromise[] {
    // Arrows passed as they are, not named: bundles keep function names (a defineProperty each).
    return this.bus.settings.traceContext
      ? startEachInTraceScope(messages, (message) => wrap(message, () => this.dispatchInScope(message)))
      : messages.map((message) => wrap(message, () => this.dispatchInScope(message)));
  }

  // Not async: it runs per message, and chaining the failure path costs a promise less than an
  // await; an outcome known at once stays without a promise.
  private dispatchInScope(message: InboundMessage): OutcomeOrPromise {
    const role = this.queues.get(message.queueName);
    if (!role) {
      const error = new LightbusError('UNKNOWN_QUEUE', `This bus module has no procedures or listener for queue "${message.queueName}".`, {
        queue: message.queueName,
      });
      return this.failed(message, role, error);
    }
    let work: OutcomeOrPromise;
    try {
      work = role.kind === 'rpc' ? this.rpcs.handle(message, role.model) : this.listeners.handle(message, role.model);
    } catch (error) {
      return this.failed(message, role, error as Error);
    }
    return work instanceof Promise ? work.then(undefined, (error: Error) => this.failed(message, role, error)) : work;
  }

  /** Only infrastructure failures get here (DynamoDB or SQS unavailable), or an unknown queue: try again later. */
  private async failed(message: InboundMessage, role: QueueRole | undefined, error: Error): Promise<DispatchOutcome> {
    const delaySeconds = role ? retryDelay(message.receiveCount, 1, role.model.visibilityTimeoutSeconds) : UNKNOWN_QUEUE_RETRY_SECONDS;
    this.bus.logger.error('Message failed; it will be retried', {
      queue: message.queueName,
      messageId: message.messageId,
      receiveCount: message.receiveCount,
      error,
    });
    await this.actions.delayRetry(message, delaySeconds);
    return { kind: 'retry', error, delaySeconds };
  }

  /**
   * A listener message whose work failed after its handler returned (the events it fired with
   * buffered delivery were not delivered): retried with the listener's backoff, or dead-lettered
   * on its last allowed receive, exactly as when the handler itself fails. If dead-lettering
   * fails, the message is retried instead: never lost. Throws for a queue that is not one of this
   * bus module's listeners.
   */
  public async listenerWorkFailed(message: InboundMessage, error: Error): Promise<DispatchOutcome> {
    const role = this.queues.get(message.queueName);
    if (role?.kind !== 'listener') {
      throw new LightbusError('UNKNOWN_LISTENER', `Queue "${message.queueName}" is not a listener queue of this bus module.`, {
        queue: message.queueName,
      });
    }
    return this.listeners.workFailed(message, role.model, error);
  }

  /**
   * How long a message of `queueName` stays hidden when nothing sets its visibility: its queue's
   * visibility timeout, or {@link UNKNOWN_QUEUE_RETRY_SECONDS} for a queue this module does not own.
   */
  public visibilityTimeoutSeconds(queueName: string): number {
    return this.queues.get(queueName)?.model.visibilityTimeoutSeconds ?? UNKNOWN_QUEUE_RETRY_SECONDS;
  }
}

/** The retry delay of a message from a queue this bus module does not own (it has no visibility timeout of ours). */
export const UNKNOWN_QUEUE_RETRY_SECONDS = 30;
