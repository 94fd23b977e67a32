import { PayloadUnresolvableError, UnresolvableProblem, type PayloadSite } from './errors';
import { PayloadKind } from './keys';
import { parseReferenceText, type PayloadReference } from './reference';
import type { PayloadStore } from './store';

/**
 * The receiving side: follows a message's reference to its payload. What cannot be resolved for
 * good is a {@link PayloadUnresolvableError} naming the API and member; a transient S3 failure is
 * thrown as it is, for the usual retries.
 */
export class PayloadResolver {
  public constructor(private readonly store: () => PayloadStore) {}

  /** An RPC request's parameters (the worker serving the API). */
  public callParameters(api: string, procedure: string, callId: string, ref: PayloadReference): Promise<Record<string, unknown>> {
    return this.parameters({ api, member: procedure, kind: PayloadKind.Call, id: callId }, ref);
  }

  /** An event's parameters (a listener). */
  public eventParameters(api: string, event: string, eventId: string, ref: PayloadReference): Promise<Record<string, unknown>> {
    return this.parameters({ api, member: event, kind: PayloadKind.Event, id: eventId }, ref);
  }

  /** A result's JSON text, from a results item's `resultRef` (the caller). */
  public async resultJson(api: string, procedure: string, callId: string, resultRefJson: string, signal?: AbortSignal): Promise<string> {
    const site = { api, member: procedure, kind: PayloadKind.Result, id: callId };
    const text = await this.store().get(site, parseReferenceText(resultRefJson, site), signal);
    try {
      JSON.parse(text);
    } catch {
      throw new PayloadUnresolvableError(site, UnresolvableProblem.Unreadable, 'the object is not JSON.');
    }
    return text;
  }

  private async parameters(site: PayloadSite, ref: PayloadReference): Promise<Record<string, unknown>> {
    const text = await this.store().get(site, ref);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PayloadUnresolvableError(site, UnresolvableProblem.Unreadable, 'the object is not a JSON object of parameters.', {
        bucket: ref.bucket,
        key: ref.key,
      });
    }
    return value as Record<string, unknown>;
  }
}
