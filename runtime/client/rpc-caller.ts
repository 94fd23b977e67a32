import { LightbusError, MessageTooLargeError, RemoteError, RpcTimeoutError } from '../errors';
import type { HookRegistry } from '../hooks';
import { ResultState, WIRE_VERSION, type RpcRequest } from '../messages/wire';
import { castIncoming, jsonSchemaValidators, parseOrThrow, toWireValue, type ApiSchema, type BusSchemas } from '../schema';
import { newCallId, rpcQueueName } from '../topology';
import { MAX_SQS_MESSAGE_BYTES, ResultWaitTimeout } from '../transport';
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
}

/**
 * Makes RPC calls: validates the parameters (against the local definition, else the API's
 * published schema), sends the request to the API's queue, waits for the result in the results
 * table, and validates and casts what comes back. The `RpcCall` hooks run around it.
 */
export class RpcCaller {
  public constructor(private readonly parts: RpcCallerParts) {}

  public async call(api: string, procedure: string, parameters: Record<string, unknown> | undefined, options: CallOptions = {}): Promise<unknown> {
    const { settings, registry, schemas, transports, hooks } = this.parts;
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
    const validating = apiSettings.validate.outgoing || apiSettings.validate.incoming;
    const remote =
      definition === undefined && validating ? await schemas.forUndefinedApi(api, apiSettings.strictValidation, registry.knownApis) : undefined;
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
    const wireParameters = toWireValue(checked) as Record<string, unknown>;
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
    const callId = newCallId(settings.bus.callerScope);
    const deadline = Date.now() + timeoutMs;
    const table = transports.location.resultsTable;
    const request: RpcRequest = {
      v: WIRE_VERSION,
      kind: 'lightbus.rpc',
      id: callId,
      api,
      procedure,
      parameters: wireParameters,
      deadline,
      returnPath: { table },
      sender: settings.sender,
    };
    const body = JSON.stringify(request);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_SQS_MESSAGE_BYTES) {
      throw new MessageTooLargeError(api, procedure, size, MAX_SQS_MESSAGE_BYTES, 'RPC request');
    }
    const send = async (): Promise<unknown> => {
      await transports.queues.send(rpcQueueName(settings.bus.busName, api), body, undefined, options.signal);
      const result = await this.waitForResult(table, callId, deadline, options.signal).catch((error: unknown) => {
        if (error instanceof ResultWaitTimeout) throw new RpcTimeoutError(api, procedure, timeoutMs, callId, error.lastReadError);
        throw error;
      });
      if (result.state === ResultState.Error) throw new RemoteError(api, procedure, callId, result.error);
      const value: unknown = JSON.parse(result.resultJson);
      const context = { api, member: procedure, direction: 'incoming', part: 'response', what: 'result' } as const;
      if (!definition) {
        if (remote && apiSettings.validate.incoming) jsonSchemaValidators.check(remote, 'rpc', procedure, value, context);
        return value;
      }
      const cast = apiSettings.castValues ? castIncoming(definition.response, value) : value;
      if (!apiSettings.validate.incoming) return cast;
      return parseOrThrow(definition.response, cast, context);
    };
    if (!hooks.observes('RpcCall')) return send();
    const hookContext = { api, member: procedure, callId, parameters: checked, timeoutMs };
    return hooks.around('RpcCall', hookContext, send, (value) => value);
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

  private waitForResult(table: string, callId: string, deadline: number, signal: AbortSignal | undefined) {
    const wait = this.parts.transports.poller.wait(table, callId, deadline);
    if (!signal) return wait;
    return new Promise<Awaited<typeof wait>>((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
