import { LightbusError, MessageTooLargeError, RemoteError, RpcTimeoutError } from '../errors';
import type { HookRegistry } from '../hooks';
import { ResultState, WIRE_VERSION, type RpcRequest } from '../messages/wire';
import { asWireValue, castIncoming, jsonSchemaValidators, parseOrThrow, toWireValue, type ApiSchema, type BusSchemas } from '../schema';
import { newCallId, rpcQueueName } from '../topology';
import { startCallSpan } from '../tracing/instrument';
import { UNTRACED } from '../tracing/span';
import { MAX_SQS_MESSAGE_BYTES, ResultWaitTimeout } from '../transport';
import { CallDeadline } from './call-deadline';
import type { ClientSettings } from './client-settings';
import type { Registry } from './registry';
import type { BusTransports } from './transports';
import type { CallOptions } from './types';

/** What an RPC call needs of its client. */
export interface RpcCallerParts {
  readonly settings: ClientSettings;
  readonly registry: Registry;
  readonly transports: BusTransports;
  readonly schemas: BusSchemas;
  readonly hooks: HookRegistry<unknown>;
  /** Aborts when the client closes: calls in flight then reject. */
  readonly closing: AbortSignal;
}

/**
 * Makes RPC calls: validates the parameters (against the local definition, else the API's
 * published schema), sends the request to the API's queue, waits for the result in the results
 * table, and validates and casts what comes back. The `RpcCall` hooks run around it.
 *
 * A call settles by its deadline (`timeoutMs` from the call) whatever the endpoint does: every
 * step it awaits is abandoned at the deadline ({@link CallDeadline}), a hung send included.
 */
export class RpcCaller {
  public constructor(private readonly parts: RpcCallerParts) {}

  public async call(api: string, procedure: string, parameters: Record<string, unknown> | undefined, options: CallOptions = {}): Promise<unknown> {
    const { settings, registry } = this.parts;
    // Local definitions are the source of truth; without one, the API's published schema (if any).
    const definition = registry.findDefinition(api) ? registry.rpcDefinition(api, procedure) : undefined;
    const apiSettings = settings.forApi(api);
    const timeoutMs = options.timeoutMs ?? apiSettings.rpcTimeoutMs;
    if (!(timeoutMs > 0)) {
      throw new LightbusError('INVALID_OPTION', `${api}.${procedure}: timeoutMs must be a positive number; got ${timeoutMs}.`, {
        api,
        member: procedure,
      });
    }
    const callId = newCallId(settings.bus.callerScope);
    const deadline = new CallDeadline(Date.now() + timeoutMs, [options.signal, this.parts.closing]);
    // What the deadline or a signal ended: a timeout says whether the request had been sent.
    const timedOut = (stage: 'sending' | 'waiting') => (error: unknown) => {
      if (error instanceof ResultWaitTimeout) throw new RpcTimeoutError(api, procedure, timeoutMs, callId, error.lastReadError);
      if (deadline.passed) throw new RpcTimeoutError(api, procedure, timeoutMs, callId, undefined, stage);
      throw error;
    };
    try {
      return await this.callWithin(deadline, timedOut, { api, procedure, parameters, callId, timeoutMs, definition });
    } finally {
      deadline.dispose();
    }
  }

  /** The call itself: every await in it ends at `deadline`, `timedOut` saying how far it got. */
  private async callWithin(
    deadline: CallDeadline,
    timedOut: (stage: 'sending' | 'waiting') => (error: unknown) => never,
    call: {
      readonly api: string;
      readonly procedure: string;
      readonly parameters: Record<string, unknown> | undefined;
      readonly callId: string;
      readonly timeoutMs: number;
      readonly definition: ReturnType<Registry['rpcDefinition']> | undefined;
    },
  ): Promise<unknown> {
    const { settings, registry, schemas, transports, hooks } = this.parts;
    const { api, procedure, parameters, callId, timeoutMs, definition } = call;
    const apiSettings = settings.forApi(api);
    const validating = apiSettings.validate.outgoing || apiSettings.validate.incoming;
    const remote =
      definition === undefined && validating
        ? await deadline.race(schemas.forUndefinedApi(api, apiSettings.strictValidation, registry.knownApis)).catch(timedOut('sending'))
        : undefined;
    const checked =
      definition && apiSettings.validate.outgoing
        ? parseOrThrow(definition.parameters, parameters ?? {}, {
            api,
            member: procedure,
            direction: 'outgoing',
            part: 'parameters',
            what: 'parameters',
          })
        : (parameters ?? {});
    // Serialised below, in this turn; an offloaded request takes a copy of its own first.
    const wireParameters = asWireValue(checked) as Record<string, unknown>;
    if (remote) jsonSchemaValidators.memberSchema(remote, 'rpc', procedure, 'parameters');
    // A loaded dump (run --schema) also checks calls to APIs other services own.
    const pinned = definition && !registry.isRegistered(api) ? schemas.pinned(api) : undefined;
    this.checkAgainstSchema(remote ?? pinned, 'rpc', procedure, wireParameters, {
      api,
      member: procedure,
      direction: 'outgoing',
      part: 'parameters',
      what: 'parameters',
    });
    const table = transports.location.resultsTable;
    const queueName = rpcQueueName(settings.bus.busName, api);
    // The call's span (CLIENT): its trace context travels in the request, and it ends with the call.
    const span = settings.bus.traceContext ? startCallSpan(api, procedure, callId, queueName) : UNTRACED;
    const request: RpcRequest = {
      v: WIRE_VERSION,
      kind: 'lightbus.rpc',
      id: callId,
      api,
      procedure,
      parameters: wireParameters,
      deadline: deadline.at,
      returnPath: { table },
      sender: settings.sender,
      traceparent: span.traceparent,
      tracestate: span.tracestate,
    };
    let body = JSON.stringify(request);
    const size = Buffer.byteLength(body, 'utf8');
    // Too large for SQS (or above payloads.offloadAbove): the parameters go to the payload bucket
    // first, after an await, so as they are now, not as the caller may have changed them since.
    const offloaded = !transports.offloads.requestFits(size);
    if (offloaded) request.parameters = toWireValue(wireParameters) as Record<string, unknown>;
    const send = async (): Promise<unknown> => {
      if (offloaded) {
        body = await deadline.race(transports.offloads.offloadRequest(request)).catch(timedOut('sending'));
        const sent = Buffer.byteLength(body, 'utf8');
        if (sent > MAX_SQS_MESSAGE_BYTES) throw new MessageTooLargeError(api, procedure, sent, MAX_SQS_MESSAGE_BYTES, 'RPC request');
      }
      // The send gets the deadline's signal: a request not yet out is never sent, a hung one is abandoned.
      await transports.queues.send(queueName, body, undefined, deadline.signal).catch(timedOut('sending'));
      // Keyed by procedure: the poller reads a call first when that procedure's recent results became readable.
      const waiting = transports.poller.wait(table, callId, deadline.at, `${api}.${procedure}`);
      // At the deadline the poller ends the wait itself, saying what it knows (reads that failed).
      const result = await deadline
        .race(waiting)
        .catch((error: unknown) => (deadline.passed ? waiting : Promise.reject(error)))
        .catch(timedOut('waiting'));
      if (result.state === ResultState.Error) throw new RemoteError(api, procedure, callId, result.error);
      const resultJson =
        result.resultRefJson === undefined
          ? result.resultJson
          : await deadline.race(transports.references.resultJson(api, procedure, callId, result.resultRefJson)).catch(timedOut('waiting'));
      const value: unknown = JSON.parse(resultJson);
      const context = { api, member: procedure, direction: 'incoming', part: 'response', what: 'result' } as const;
      if (!definition) {
        if (remote && apiSettings.validate.incoming) jsonSchemaValidators.check(remote, 'rpc', procedure, value, context);
        return value;
      }
      const cast = apiSettings.castValues ? castIncoming(definition.response, value) : value;
      if (!apiSettings.validate.incoming) return cast;
      return parseOrThrow(definition.response, cast, context);
    };
    if (!hooks.observes('RpcCall')) return span.settle(send);
    const hookContext = { api, member: procedure, callId, parameters: checked, timeoutMs };
    return span.settle(() => hooks.around('RpcCall', hookContext, send, (value) => value));
  }

  /**
   * Checks an outgoing wire value against a JSON Schema: the published schema of an API without a
   * local definition, or a loaded dump's (`run --schema`) on top of the local definition.
   */
  private checkAgainstSchema(
    schema: ApiSchema | undefined,
    kind: 'rpc',
    member: string,
    value: unknown,
    context: Parameters<typeof parseOrThrow>[2],
  ): void {
    if (!schema || !this.parts.settings.forApi(context.api).validate.outgoing) return;
    jsonSchemaValidators.check(schema, kind, member, value, context);
  }
}
