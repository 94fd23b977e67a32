import { randomUUID } from 'node:crypto';
import { FIRE_DELIVERY_MODES, type FireDelivery } from '../config';
import { EventFireError, LightbusError, NotAuthoritativeError, UndeliveredEventsError, type UndeliveredEvent } from '../errors';
import type { HookRegistry } from '../hooks';
import type { Logger } from '../logging';
import { eventDetailType, eventSource, WIRE_VERSION, type EventDetail } from '../messages/wire';
import { asWireValue, parseOrThrow, toWireValue } from '../schema';
import { startFireSpan } from '../tracing/instrument';
import { UNTRACED, type LightbusSpan } from '../tracing/span';
import { messageGroupOf, type BufferedPublishContext, type DeliveryListener, type EventEntry, type FifoPlacement, type PublishContext } from '../transport';
import type { ClientSettings } from './client-settings';
import { currentFireOrigin } from './fire-origin';
import type { Registry } from './registry';
import type { BusTransports } from './transports';
import type { FireOptions, SentEvent } from './types';

/**
 * The ids fire() accepts from a caller: the form of those it makes (randomUUID: lowercase hex in
 * 8-4-4-4-12 groups). One spelling per id, so that listeners deduplicating by id never see one
 * event under two.
 */
const EVENT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An event's names on EventBridge, and the publish context of its fires (one object for all of them). */
interface EntryNames {
  readonly source: string;
  readonly detailType: string;
  readonly context: PublishContext;
}

/** An event ready to go: validated, serialised, not yet handed to the publisher. */
interface PreparedEvent {
  readonly api: string;
  readonly event: string;
  readonly checked: Record<string, unknown>;
  readonly detail: EventDetail;
  readonly entry: { readonly Source: string; readonly DetailType: string; readonly Detail: string };
  readonly timeoutMs: number;
  /** Set for an API on an SNS FIFO topic (`transports.event: sns-fifo`). */
  readonly fifo: FifoPlacement | undefined;
  /** The fire's span (PRODUCER), started with the detail that carries its trace context. */
  readonly span: LightbusSpan;
  /** The entry fits EventBridge (and payloads.offloadAbove) as it is; else its parameters go to the payload bucket. */
  readonly inline: boolean;
}

/** What firing events needs of its client. */
export interface EventFirerParts {
  readonly settings: ClientSettings;
  readonly registry: Registry;
  readonly transports: BusTransports;
  readonly hooks: HookRegistry<unknown>;
  /** Throws once the client is closed: no fire() is accepted then. */
  readonly assertOpen: () => void;
}

/**
 * Fires events: checks authority, validates and serialises the parameters, then hands the event to
 * EventBridge, with confirmed delivery (resolves once EventBridge accepted it) or buffered delivery
 * (resolves once it is queued; {@link flush} confirms). The `EventSent` hooks run around it.
 */
export class EventFirer {
  /** Source and DetailType per API, then per event (see {@link entryNames}). */
  private readonly entryNamesCache = new Map<string, Map<string, EntryNames>>();

  public constructor(private readonly parts: EventFirerParts) {}

  /**
   * Invalid input rejects here, in both delivery modes: whatever goes wrong before sending arrives
   * as a rejection, never a throw. Not an async function: with confirmed delivery (the default) a
   * fire makes one promise, settled by the publisher through a {@link ConfirmedFire}, where an async
   * chain made five; a burst of thousands of fires is all prepared before its first call can leave,
   * so that cost is paid up front.
   */
  public fire(api: string, event: string, parameters: Record<string, unknown> | undefined, options?: FireOptions): Promise<SentEvent> {
    try {
      return this.fireOrThrow(api, event, parameters, options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** {@link fire}, but what goes wrong before sending throws. */
  private fireOrThrow(api: string, event: string, parameters: Record<string, unknown> | undefined, options: FireOptions | undefined): Promise<SentEvent> {
    const delivery = this.deliveryFor(api, event, options);
    const prepared = this.prepare(api, event, parameters, this.eventIdFor(api, event, options));
    const { detail, checked, span } = prepared;
    // Literals, not a shared spread: fire() is hot.
    if (delivery === 'buffered') {
      return span.settle(() => this.sendBuffered(prepared)).then(() => ({
        id: detail.id,
        eventBridgeId: undefined,
        delivery,
        api,
        event,
        parameters: checked,
        firedAt: detail.firedAt,
      }));
    }
    // The common case (no span to end, no hooks, the entry fits): one promise, settled by the
    // publisher through a ConfirmedFire. Otherwise the send is a promise the span and hooks wrap.
    if (!span.recorded && prepared.inline && !this.parts.hooks.observes('EventSent')) {
      const { transports } = this.parts;
      const deadline = Date.now() + prepared.timeoutMs;
      const context = this.publishContext(prepared);
      return new Promise<SentEvent>((resolve, reject) => {
        // A size error thrown here rejects the promise (the executor runs at once).
        transports.publisher.publishTo(prepared.entry, context, deadline, new ConfirmedFire(detail.id, api, event, checked, detail.firedAt, resolve, reject));
      });
    }
    const sending = span.recorded ? span.settle(() => this.sendConfirmed(prepared)) : this.sendConfirmed(prepared);
    return confirmedSentEvent(sending, api, event, checked, detail.id, detail.firedAt);
  }

  /** See `BusClient.flush()`. */
  public async flush(): Promise<void> {
    const { transports } = this.parts;
    if (!transports.hasPublisher) return;
    const { events, notRetained } = await transports.publisher.flush();
    if (events.length > 0 || notRetained > 0) throw new UndeliveredEventsError(events, notRetained);
  }

  private deliveryFor(api: string, event: string, options: FireOptions | undefined): FireDelivery {
    const delivery = options?.delivery ?? this.parts.settings.bus.fire.delivery;
    if (options?.delivery !== undefined && !(FIRE_DELIVERY_MODES as readonly string[]).includes(delivery)) {
      throw new LightbusError(
        'INVALID_OPTION',
        `${api}.${event}.fire(): delivery must be one of ${FIRE_DELIVERY_MODES.join(', ')}; got ${JSON.stringify(options.delivery)}.`,
        { api, member: event },
      );
    }
    return delivery;
  }

  /** The caller's `eventId`, checked, or a new one. */
  private eventIdFor(api: string, event: string, options: FireOptions | undefined): string {
    const eventId = options?.eventId;
    if (eventId === undefined) return randomUUID();
    if (typeof eventId !== 'string' || !EVENT_ID_PATTERN.test(eventId)) {
      throw new LightbusError(
        'INVALID_OPTION',
        `${api}.${event}.fire(): eventId must be a lowercase UUID such as fire() makes (e.g. "0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44", ` +
          `crypto.randomUUID()), usually an EventFireError's eventId; got ${JSON.stringify(eventId)}.`,
        { api, member: event },
      );
    }
    return eventId;
  }

  /** Everything fire() does before sending: authority, validation, the wire form. */
  private prepare(api: string, event: string, parameters: Record<string, unknown> | undefined, eventId: string): PreparedEvent {
    const { registry, settings, assertOpen } = this.parts;
    assertOpen();
    const definition = registry.eventDefinition(api, event);
    if (!registry.isRegistered(api)) throw new NotAuthoritativeError(api, event);
    const apiSettings = settings.forApi(api);
    const checked = apiSettings.validate.outgoing
      ? parseOrThrow(definition.parameters, parameters ?? {}, {
          api,
          member: event,
          direction: 'outgoing',
          part: 'parameters',
          what: 'event parameters',
        })
      : (parameters ?? {});
    const span = settings.bus.traceContext ? startFireSpan(api, event, eventId) : UNTRACED;
    const detail: EventDetail = {
      v: WIRE_VERSION,
      kind: 'lightbus.event',
      id: eventId,
      api,
      event,
      // Serialised below, before fire() returns: the caller changing its object later changes nothing sent.
      parameters: asWireValue(checked) as Record<string, unknown>,
      firedAt: isoNow(),
      sender: settings.sender,
      traceparent: span.traceparent,
      tracestate: span.tracestate,
    };
    const names = this.entryNames(api, event);
    const entry = { Source: names.source, DetailType: names.detailType, Detail: JSON.stringify(detail) };
    // On an SNS FIFO topic the event's group is its orderedBy parameter's value (ordered listeners' key).
    const fifo =
      apiSettings.transports.event === 'sns-fifo'
        ? { messageGroupId: fifoGroupOf(api, event, detail.parameters, apiSettings.orderedBy), deduplicationId: detail.id }
        : undefined;
    const inline = this.parts.transports.offloads.eventFits(entry);
    // Offloaded parameters are serialised again later, for the payload bucket: from a copy of their own.
    const kept = inline ? detail : { ...detail, parameters: toWireValue(detail.parameters) as Record<string, unknown> };
    return { api, event, checked: checked as Record<string, unknown>, detail: kept, entry, timeoutMs: apiSettings.eventFireTimeoutMs, fifo, span, inline };
  }

  /**
   * The entry to hand to EventBridge: the prepared one, or, for parameters too large for it (or
   * above payloads.offloadAbove), one whose detail carries `parametersRef` once they are stored in
   * the payload bucket. Runs where the send runs, so the EventSent hooks see a failed store.
   */
  private async offloadedEntry({ detail, entry }: PreparedEvent): Promise<EventEntry> {
    return this.parts.transports.offloads.offloadEvent(detail, entry);
  }

  /** Where a confirmed event goes: shared by every fire of the event, unless its placement on an SNS FIFO topic is its own. */
  private publishContext({ api, event, fifo }: PreparedEvent): PublishContext {
    return fifo === undefined ? this.entryNames(api, event).context : { api, event, fifo };
  }

  /** An event's Source and DetailType (and publish context), built once per event rather than per fire(). */
  private entryNames(api: string, event: string): EntryNames {
    // Keyed by API, then event: the typed facade passes the same name strings on every fire, so
    // lookups hash nothing new (a joined key would build and hash a string per fire).
    let byEvent = this.entryNamesCache.get(api);
    if (byEvent === undefined) this.entryNamesCache.set(api, (byEvent = new Map()));
    let names = byEvent.get(event);
    if (names === undefined) byEvent.set(event, (names = { source: eventSource(api), detailType: eventDetailType(api, event), context: { api, event } }));
    return names;
  }

  /** Confirmed delivery with a span to end or EventSent hooks, or parameters to offload: resolves with EventBridge's id once it accepted the event. */
  private sendConfirmed(prepared: PreparedEvent): Promise<string> {
    const { api, event, checked, detail, entry, timeoutMs } = prepared;
    const { transports, hooks } = this.parts;
    const context = this.publishContext(prepared);
    const send = prepared.inline
      ? (): Promise<string> => transports.publisher.publish(entry, context, Date.now() + timeoutMs)
      : async (): Promise<string> => transports.publisher.publish(await this.offloadedEntry(prepared), context, Date.now() + timeoutMs);
    if (!hooks.observes('EventSent')) return send();
    const hookContext = { api, member: event, eventId: detail.id, parameters: checked };
    return hooks.around('EventSent', hookContext, send, (id) => ({ eventBridgeId: id }));
  }

  /**
   * Buffered delivery: resolves (with no EventBridge id) once the event is queued, after waiting
   * for room if `fire.maxBuffered` events are already buffered. The size check throws at once.
   */
  private async sendBuffered(prepared: PreparedEvent): Promise<void> {
    const { api, event, detail, entry, timeoutMs, fifo } = prepared;
    const fireOrigin = currentFireOrigin();
    let context: BufferedPublishContext =
      fireOrigin === undefined ? { api, event, eventId: detail.id } : { api, event, eventId: detail.id, origin: fireOrigin };
    if (fifo !== undefined) context = { ...context, fifo };
    if (!this.parts.hooks.observes('EventSent')) {
      const room = this.parts.transports.publisher.buffer(prepared.inline ? entry : await this.offloadedEntry(prepared), context, timeoutMs);
      if (room) await room;
      return;
    }
    return this.bufferObserved(prepared, context);
  }

  /**
   * Buffered delivery with EventSent hooks: beforeEventSent runs before the event is queued (it
   * may abort the fire, as in confirmed mode), afterEventSent once EventBridge accepted it or it
   * failed for good. Without a before-hook the event is queued within fire() itself, so that
   * `void fire(); await bus.flush()` covers it; a flush() called while a before-hook runs does not.
   */
  private async bufferObserved(prepared: PreparedEvent, context: BufferedPublishContext): Promise<void> {
    const { api, event, checked, detail, timeoutMs } = prepared;
    const { hooks, transports } = this.parts;
    const hookContext = { api, member: event, eventId: detail.id, parameters: checked };
    const toHookValue = (id: string) => ({ eventBridgeId: id });
    let listener!: DeliveryListener;
    const delivered = new Promise<string>((resolve, reject) => (listener = { resolve, reject }));
    let room: Promise<void> | undefined;
    try {
      if (hooks.has('beforeEventSent')) await hooks.runBefore('beforeEventSent', hookContext);
      const entry = prepared.inline ? prepared.entry : await this.offloadedEntry(prepared);
      room = transports.publisher.buffer(entry, context, timeoutMs, listener);
    } catch (error) {
      // Aborted by a before-hook, or too large: not queued. The after-hooks see the failure, as in
      // confirmed mode, then fire() rejects with it.
      await hooks.afterSettled('EventSent', hookContext, Promise.reject(error), toHookValue);
      throw error;
    }
    // A delivery failure after fire() resolved is reported by flush() and the log (and the hook).
    void hooks.afterSettled('EventSent', hookContext, delivered, toHookValue);
    if (room) await room;
  }
}

/** An event's message group on an SNS FIFO topic: its `orderedBy` parameter's value, or one group per event name without it. */
function fifoGroupOf(api: string, event: string, parameters: Record<string, unknown>, orderedBy: string | undefined): string {
  if (orderedBy !== undefined && Object.hasOwn(parameters, orderedBy)) return messageGroupOf(parameters[orderedBy]);
  return messageGroupOf(`${api}.${event}`);
}

/** Buffered delivery gave up on an event: never silently, whether or not anyone flushes. */
export function logUndelivered(logger: Logger, event: UndeliveredEvent): void {
  logger.error('An event fired with buffered delivery was not delivered: EventBridge did not accept it', {
    api: event.api,
    member: event.event,
    eventId: event.id,
    errorCode: event.errorCode,
    errorMessage: event.errorMessage,
    ...(event.origin !== undefined ? { origin: event.origin } : {}),
  });
}

/**
 * What a confirmed fire() with a span or hooks (or offloaded parameters) resolves with, once
 * EventBridge accepted the event. A function of its own so that its callbacks, which live until
 * the call returns, hold only these values: closures
 * made in fireOrThrow would keep the whole prepared event (its detail and wire copy of the
 * parameters) alive, and a burst of thousands of fires keeps them all past the young generation.
 */
function confirmedSentEvent(
  sending: Promise<string>,
  api: string,
  event: string,
  parameters: Record<string, unknown>,
  id: string,
  firedAt: string,
): Promise<SentEvent> {
  return sending.then(
    (eventBridgeId) => ({ id, eventBridgeId, delivery: 'confirmed' as const, api, event, parameters, firedAt }),
    (error: unknown) => {
      throw namingEvent(error, id);
    },
  );
}

/**
 * A confirmed fire waiting for EventBridge: the publisher settles it ({@link DeliveryListener}),
 * and it settles fire()'s promise. One object holding the result's values, where a promise of
 * the publisher's chained to fire()'s made a second promise, its reactions and two closures: a
 * burst keeps all of them alive until its calls return.
 */
class ConfirmedFire implements DeliveryListener {
  public constructor(
    private readonly id: string,
    private readonly api: string,
    private readonly event: string,
    private readonly parameters: Record<string, unknown>,
    private readonly firedAt: string,
    private readonly done: (sent: SentEvent) => void,
    private readonly failed: (error: Error) => void,
  ) {}

  public resolve(eventBridgeId: string): void {
    const { id, api, event, parameters, firedAt } = this;
    this.done({ id, eventBridgeId, delivery: 'confirmed', api, event, parameters, firedAt });
  }

  public reject(error: Error): void {
    this.failed(namingEvent(error, this.id));
  }
}

/**
 * A confirmed fire's failure, naming the id it tried when it is an EventFireError that does not
 * know it yet, so the caller can fire it again as the same event (`{ eventId }`).
 */
function namingEvent<E>(error: E, id: string): E | EventFireError {
  return error instanceof EventFireError && error.eventId === undefined ? error.forEvent(id) : error;
}

/** The epoch ms of the last ISO timestamp made, and that timestamp: a burst fires many events per millisecond. */
let lastIsoMs = NaN;
let lastIso = '';

/** `new Date().toISOString()`, made once per millisecond. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
