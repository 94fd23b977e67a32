import type { EventDetail, RpcRequest } from '../messages/wire';
import { putEventsEntrySize } from '../transport/event-publisher';
import type { EventEntry } from '../transport/event-entry';
import { PayloadKind } from './keys';
import { certainlyWithin, inlineLimit, mustOffload, TransportLimit } from './limits';
import type { PayloadReference } from './reference';
import type { PayloadStore } from './store';

/** A result as the worker writes it: inline, or a reference (JSON text) to the payload bucket. */
export type OffloadedResult = { readonly resultJson: string } | { readonly resultRefJson: string };

/**
 * The sending side: decides, from the size the message already has, whether its payload travels
 * inline or through the payload bucket, and stores it there when it must. A message under the
 * threshold costs a length comparison (its string's length, or the byte count the sender already
 * made); the store (and its S3 client) is only asked for when a payload is offloaded.
 */
export class PayloadOffloader {
  private readonly eventLimit: number;
  private readonly rpcLimit: number;
  private readonly resultLimit: number;

  public constructor(
    private readonly store: () => PayloadStore,
    /** The bus's `payloads.offloadAbove` (bytes), if set. */
    offloadAbove: number | undefined,
  ) {
    this.eventLimit = inlineLimit(TransportLimit.EventBridgeEvent, offloadAbove);
    this.rpcLimit = inlineLimit(TransportLimit.RpcRequest, offloadAbove);
    this.resultLimit = inlineLimit(TransportLimit.Result, offloadAbove);
  }

  /** Whether an event entry goes as it is. Counts bytes only when its length leaves it in doubt. */
  public eventFits(entry: EventEntry): boolean {
    if (certainlyWithin(entry.Detail.length + entry.Source.length + entry.DetailType.length, this.eventLimit)) return true;
    return !mustOffload(putEventsEntrySize(entry), this.eventLimit);
  }

  /** The entry to send instead: the detail with `parametersRef` in place of `parameters`. */
  public async offloadEvent(detail: EventDetail, entry: EventEntry): Promise<EventEntry> {
    const site = { api: detail.api, member: detail.event, kind: PayloadKind.Event, id: detail.id };
    const ref = await this.store().put(site, JSON.stringify(detail.parameters));
    return { Source: entry.Source, DetailType: entry.DetailType, Detail: JSON.stringify(withReference(detail, ref)) };
  }

  /** Whether an RPC request body of `bytes` (the count the caller makes anyway) goes as it is. */
  public requestFits(bytes: number): boolean {
    return !mustOffload(bytes, this.rpcLimit);
  }

  /** The request body to send instead: `parametersRef` in place of `parameters`. */
  public async offloadRequest(request: RpcRequest, signal?: AbortSignal): Promise<string> {
    const site = { api: request.api, member: request.procedure, kind: PayloadKind.Call, id: request.id };
    const ref = await this.store().put(site, JSON.stringify(request.parameters), signal);
    return JSON.stringify(withReference(request, ref));
  }

  /**
   * A result as the worker writes it: inline when it fits the results item (and the threshold),
   * else stored under `<api>/result/<call id>` and written as `resultRef`.
   */
  public async result(api: string, procedure: string, callId: string, resultJson: string): Promise<OffloadedResult> {
    if (certainlyWithin(resultJson.length, this.resultLimit) || !mustOffload(Buffer.byteLength(resultJson, 'utf8'), this.resultLimit)) {
      return { resultJson };
    }
    const ref = await this.store().put({ api, member: procedure, kind: PayloadKind.Result, id: callId }, resultJson);
    return { resultRefJson: JSON.stringify(ref) };
  }
}

/** The message with `parametersRef` where `parameters` was, fields otherwise in the same order. */
function withReference<M extends { parameters: Record<string, unknown> }>(message: M, ref: PayloadReference): Omit<M, 'parameters'> & { parametersRef: PayloadReference } {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message)) {
    if (name === 'parameters') copy.parametersRef = ref;
    else copy[name] = value;
  }
  return copy as Omit<M, 'parameters'> & { parametersRef: PayloadReference };
}
