import type {
  AnyApiDefinition,
  EventDefinition,
  EventParameters,
  EventParsedParameters,
  RpcDefinition,
  RpcParameters,
  RpcParsedParameters,
  RpcResult,
  RpcReturn,
} from '../api/types';
import type { BusSettingsInput, FireDelivery } from '../config';
import type { Logger } from '../logging';
import type { Sender } from '../messages/wire';

/** Options for one RPC call. */
export interface CallOptions {
  /** How long to wait for the result, in milliseconds. @default the API's rpcTimeout (5000) */
  readonly timeoutMs?: number;
  /** Abandons the wait (the call itself may still run). */
  readonly signal?: AbortSignal;
}

/** Options for one fire(). */
export interface FireOptions {
  /**
   * Overrides the bus's `fire.delivery` for this event: `confirmed` resolves once EventBridge
   * accepted it, `buffered` once it is queued (confirm with `bus.flush()`).
   * @default the bus's fire.delivery ('confirmed')
   */
  readonly delivery?: FireDelivery;
  /**
   * The event's id (`detail.id`), instead of a new one: to fire again an event whose fire() failed
   * (`EventFireError.eventId`, `UndeliveredEvent.id`) without listeners seeing two events, when
   * they deduplicate by event id. A lowercase UUID, as fire() makes them (`crypto.randomUUID()`).
   * EventBridge does not deduplicate: a listener that does not dedupe sees both if both arrive.
   * See docs/concepts.md, "Firing again without duplicates".
   * @default a new random UUID
   */
  readonly eventId?: string;
}

/**
 * An event's fire(). Passing `delivery` explicitly narrows what it resolves with; without it the
 * bus's `fire.delivery` decides, which the type cannot see, so it is the union (check `delivery`).
 */
export interface FireMethod<In, Out> {
  (parameters: In, options: FireOptions & { readonly delivery: 'confirmed' }): Promise<ConfirmedSentEvent<Out>>;
  (parameters: In, options: FireOptions & { readonly delivery: 'buffered' }): Promise<BufferedSentEvent<Out>>;
  (...args: undefined extends In ? [parameters?: In, options?: FireOptions] : [parameters: In, options?: FireOptions]): Promise<SentEvent<Out>>;
}

/** The fields of {@link SentEvent} that do not depend on the delivery mode. */
interface SentEventBase<P> {
  /** lightbus's id of the event (`detail.id`), stable across retries and deliveries. */
  readonly id: string;
  readonly api: string;
  readonly event: string;
  readonly parameters: P;
  readonly firedAt: string;
}

/** fire() with confirmed delivery: EventBridge accepted the event. */
export interface ConfirmedSentEvent<P = Record<string, unknown>> extends SentEventBase<P> {
  readonly delivery: 'confirmed';
  /** The id EventBridge gave the entry. */
  readonly eventBridgeId: string;
}

/** fire() with buffered delivery: the event is queued, not yet sent. */
export interface BufferedSentEvent<P = Record<string, unknown>> extends SentEventBase<P> {
  readonly delivery: 'buffered';
  /** Not known yet: `bus.flush()` confirms delivery; the `afterEventSent` hook sees the id. */
  readonly eventBridgeId: undefined;
}

/**
 * What fire() resolves with: the message that was sent. Check `delivery` to narrow it:
 * `confirmed` carries EventBridge's `eventBridgeId`, `buffered` has none yet.
 */
export type SentEvent<P = Record<string, unknown>> = ConfirmedSentEvent<P> | BufferedSentEvent<P>;

/** What a listener receives along with the parameters. */
export interface ReceivedEvent<P = Record<string, unknown>> {
  readonly id: string;
  readonly eventBridgeId: string;
  readonly api: string;
  readonly event: string;
  readonly parameters: P;
  readonly firedAt: string;
  readonly sender: Sender | undefined;
  /** 1 on first delivery; higher when a previous attempt failed. */
  readonly receiveCount: number;
  readonly listenerName: string;
}

export type ListenerHandler<P = Record<string, unknown>> = (event: ReceivedEvent<P>, parameters: P) => unknown;

/** Options of a listener. */
export interface ListenOptions {
  /**
   * Names the consumer group: each listener name gets its own copy of every event; processes
   * of the same service with the same listener name share them.
   */
  readonly listenerName: string;
  /** Receives before a failing message goes to the listener's dead-letter queue. @default 5 */
  readonly maxReceives?: number;
  /**
   * How long a received message stays hidden from other consumers. The local worker extends it
   * while a handler runs; a failed message reappears after a backoff no longer than this.
   * @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
  /** First retry delay after a failure, doubling each receive, capped at visibilityTimeoutSeconds. @default 1 */
  readonly retryDelaySeconds?: number;
  /**
   * Run the handler at most once per event id (`detail.id`) within `ttl`, across redeliveries,
   * duplicate deliveries and fire() retries that reuse the id (`fire(p, { eventId })`). Before the
   * handler runs, the listener claims the event with a conditional write to the bus's results table;
   * after it succeeds, it marks the claim done (a failed handler releases it, so its retry runs).
   * Costs two DynamoDB writes per event, and the worker needs write access to this service's
   * `dedupe#` keys (the CDK construct grants it). See docs/concepts.md, "Exactly-once listeners".
   * @default false - every delivery runs the handler (at-least-once)
   */
  readonly exactlyOnce?: boolean | ExactlyOnceOptions;
  /**
   * Take the events in order per value of one parameter: `{ by: 'orderId' }`. The listener's queue
   * is FIFO, each value its message group: events of one value are handled one at a time in the
   * order they were fired, and a failing event holds back only its own value's later events.
   * Needs its events' API on `transports.event: sns-fifo` with `orderedBy` the same parameter
   * (docs/transports.md); refused at declaration otherwise, or if an event lacks the parameter.
   * @default not ordered
   */
  readonly ordered?: OrderedOptions;
}

/** Options of an ordered listener ({@link ListenOptions.ordered}). */
export interface OrderedOptions {
  /** The parameter whose value orders the events (every event of the listener must have it). */
  readonly by: string;
}

/** Options of an exactly-once listener ({@link ListenOptions.exactlyOnce}). */
export interface ExactlyOnceOptions {
  /**
   * How long an event id is remembered once handled: a repeat within it is skipped, one after it
   * runs again. A duration with a unit (`'1h'`, `'7d'`); at least the listener's visibility timeout.
   * @default '7d'
   */
  readonly ttl?: string;
}

/** What a procedure receives besides its parameters. */
export interface RpcContext {
  readonly callId: string;
  readonly api: string;
  readonly procedure: string;
  /** Epoch ms after which the caller has stopped waiting. */
  readonly deadline: number;
  readonly sender: Sender | undefined;
}

/** An API's implementation: one function per declared procedure. */
export type ApiImplementation<A extends AnyApiDefinition> = {
  readonly [K in keyof A['rpcs']]: A['rpcs'][K] extends RpcDefinition
    ? (parameters: RpcParsedParameters<A['rpcs'][K]>, context: RpcContext) => RpcReturn<A['rpcs'][K]> | Promise<RpcReturn<A['rpcs'][K]>>
    : never;
};

/** A typed procedure on the client: parameters optional when every parameter is. */
export type RpcMethod<D extends RpcDefinition> = {} extends RpcParameters<D>
  ? (parameters?: RpcParameters<D>, options?: CallOptions) => Promise<RpcResult<D>>
  : (parameters: RpcParameters<D>, options?: CallOptions) => Promise<RpcResult<D>>;

/** A typed event on the client. */
export interface EventClient<D extends EventDefinition> {
  /** Fires the event (only the API's authoritative service may). */
  fire: {} extends EventParameters<D>
    ? FireMethod<EventParameters<D> | undefined, EventParsedParameters<D>>
    : FireMethod<EventParameters<D>, EventParsedParameters<D>>;
  /** Registers a listener; the worker (lightbus run, or the Lambda handler) runs it. */
  listen(handler: ListenerHandler<EventParsedParameters<D>>, options: ListenOptions): void;
}

/** The client side of one API: its procedures and events by name. */
export type ApiClient<A extends AnyApiDefinition> = {
  readonly [K in keyof A['rpcs']]: A['rpcs'][K] extends RpcDefinition ? RpcMethod<A['rpcs'][K]> : never;
} & {
  readonly [K in keyof A['events']]: A['events'][K] extends EventDefinition ? EventClient<A['events'][K]> : never;
};

/** `'support.case'` → `{ support: { case: T } }` */
export type Nest<Path extends string, T> = Path extends `${infer Head}.${infer Rest}`
  ? { readonly [K in Head]: Nest<Rest, T> }
  : { readonly [K in Path]: T };

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every API of the bus at its dotted path: `bus.auth`, `bus.support.case`. */
export type ApiTree<Apis extends readonly AnyApiDefinition[]> = [Apis[number]] extends [never]
  ? {}
  : UnionToIntersection<{ [I in keyof Apis]: Apis[I] extends AnyApiDefinition ? Nest<Apis[I]['name'], ApiClient<Apis[I]>> : never }[number]>;

/** A reference to an event, for listeners that cover several: a definition path or `'api.event'`. */
export type EventReference = string | { readonly api: string; readonly event: string };

/** Options of `lightbus.create()`. */
export interface CreateOptions<Apis extends readonly AnyApiDefinition[] = readonly AnyApiDefinition[]> extends BusSettingsInput {
  /** Definitions of the APIs this bus talks to (calls, fires, listens to); typed on the client. */
  readonly apis?: Apis;
  /** @default a structured logger on stderr */
  readonly logger?: Logger;
}
