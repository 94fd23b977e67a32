import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ApiOwnershipError, claimOwnershipAtDeploy, ownerKey, OWNERSHIP_PROPERTIES } from '../runtime/ownership';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse, Context } from 'aws-lambda';
import type { BusClient } from '../runtime/client';
import {
  CustomResourceResponseError,
  describeCause,
  SchemaItemWriteError,
  SchemaResourceRequestError,
  type SchemaResourceRequestContext,
} from '../runtime/errors/deployment';
import type { Logger } from '../runtime/logging';
import {
  DEPLOYED_SCHEMAS_RESOURCE_TYPE,
  DeployedSchemasProperties as P,
  deployedSchemasPhysicalId,
  deployPublisher,
  registeredApis,
  schemaContentHash,
  SchemaAttributes,
  schemaItems,
  schemaKey,
} from '../runtime/schema';

/** Options of {@link createSchemaResourceHandler}. */
export interface SchemaResourceHandlerOptions {
  /** @default the bus's logger */
  readonly logger?: Logger;
  /**
   * Attempts at the HTTP PUT of the response to CloudFormation's ResponseURL (network errors and
   * 5xx are retried, with 1 s, 2 s, ... between attempts).
   * @default 4
   */
  readonly responseAttempts?: number;
}

/** The worker function's answer to a custom-resource event: what it sent to the ResponseURL. */
export type SchemaResourceResponse = CloudFormationCustomResourceResponse;

export type SchemaResourceHandler = (event: CloudFormationCustomResourceEvent, context?: Partial<Context>) => Promise<SchemaResourceResponse>;

const REQUEST_TYPES = new Set(['Create', 'Update', 'Delete']);
/** CloudFormation takes a response body of at most 4 KiB; the reason is the part that can grow. */
const MAX_REASON_LENGTH = 1500;
const RESPONSE_TIMEOUT_MS = 10_000;

/**
 * True when a Lambda event has the shape of a CloudFormation custom-resource request (routing only:
 * the handler checks the rest, and answers FAILED, never silence, when it is not one of ours).
 */
export function isCustomResourceEvent(event: unknown): event is CloudFormationCustomResourceEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    typeof e.RequestType === 'string' &&
    REQUEST_TYPES.has(e.RequestType) &&
    typeof e.ResponseURL === 'string' &&
    typeof e.StackId === 'string' &&
    typeof e.RequestId === 'string' &&
    typeof e.LogicalResourceId === 'string'
  );
}

/**
 * Serves the `Custom::LightbusSchemas` resource `LightbusService` declares with the worker function
 * as its service token: publishes, at deploy time, the schemas of the APIs the bundled bus module
 * registers — the bundle is the source of truth; the template's `SchemaHash` only makes a changed
 * contract an Update.
 *
 * - Create/Update: an unconditional PutItem of each `schema#<api>` item, with no `expiresAt`
 *   (see `schemaItems`), into the bus's results table.
 * - Delete (only of the physical id this function reports for that resource,
 *   `lightbus-schemas-<bus>-<service>-<hash of stack and logical id>`): a DeleteItem of each API
 *   its bundled module registers (never an API the event names beyond those), on condition that this very resource published it (an API
 *   that moved to another service, or a replacing resource's fresh items, are left alone).
 *
 * Always answers CloudFormation with an HTTP PUT to the ResponseURL: SUCCESS, or FAILED with a
 * reason naming what failed. It throws only when that PUT itself keeps failing.
 */
export function createSchemaResourceHandler(bus: BusClient, options: SchemaResourceHandlerOptions = {}): SchemaResourceHandler {
  const logger = options.logger ?? bus.logger;
  const attempts = Math.max(1, options.responseAttempts ?? 4);

  return async (event, context) => {
    const busName = bus.settings.busName;
    const service = bus.settings.serviceName;
    const ownId = deployedSchemasPhysicalId(busName, service ?? 'unnamed-service', event.StackId, event.LogicalResourceId);
    const given = 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined;
    let response: SchemaResourceResponse;
    try {
      const data = await apply(event, ownId);
      response = { ...common(event), Status: 'SUCCESS', PhysicalResourceId: ownId, Data: data };
    } catch (error) {
      const where = context?.logStreamName ? ` (log stream ${context.logStreamName})` : '';
      const reason =
        `lightbus: ${event.RequestType} of the schemas of service ${service ?? '(unnamed)'} on bus ${busName} failed: ` +
        `${(error as Error)?.message ?? String(error)}${where}`;
      logger.error('Custom resource request failed', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, error: error as Error });
      response = {
        ...common(event),
        Status: 'FAILED',
        Reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason,
        // A failed Create reports our id, so the rollback's Delete cleans up what was written.
        PhysicalResourceId: given ?? ownId,
      };
    }
    // The time left in this invocation, less a margin to log and return (no context: no bound).
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline = remaining === undefined ? Infinity : Date.now() + remaining - 1000;
    await putResponse(event.ResponseURL, response, { attempts, logger, deadline, request: requestOf(event) });
    return response;
  };

  async function apply(event: CloudFormationCustomResourceEvent, ownId: string): Promise<Record<string, string>> {
    if (event.ResourceType !== DEPLOYED_SCHEMAS_RESOURCE_TYPE) {
      throw new SchemaResourceRequestError(
        `this function serves only ${DEPLOYED_SCHEMAS_RESOURCE_TYPE} resources; got ${JSON.stringify(event.ResourceType)}.`,
        { ...requestOf(event), resourceType: event.ResourceType },
      );
    }
    const table = bus.transports.location.resultsTable;
    const dynamoDb = bus.transports.clients.dynamoDb;
    const props = event.ResourceProperties;
    if (event.RequestType === 'Delete') {
      if (event.PhysicalResourceId !== ownId) {
        // Not ours (e.g. a resource that failed before reporting an id): nothing of ours to delete.
        logger.info('Custom resource Delete of another physical id; nothing to delete', { given: event.PhysicalResourceId, own: ownId });
        return { Deleted: '' };
      }
      // Only the APIs this function was deployed for (its bundled module registers them, and its
      // role may delete only their keys): an event's own list, which anyone able to invoke the
      // function could write, never widens that. APIs the event names beyond them are left alone.
      const own = registeredApis(bus);
      const ignored = (stringList(props[P.Apis]) ?? []).filter((api) => !own.includes(api));
      if (ignored.length > 0) logger.warn('Custom resource Delete names APIs this function was not deployed for; not deleting them', { ignored });
      const deleted: string[] = [];
      for (const api of own) {
        try {
          await dynamoDb.send(
            new DeleteItemCommand({
              TableName: table,
              Key: { [SchemaAttributes.PartitionKey]: { S: schemaKey(api) } },
              // Only what this very resource wrote: not a worker's, another service's, or the
              // schemas a replacing resource (same service, new logical id) has just published.
              ConditionExpression: '#by = :by AND #deployment = :deployment',
              ExpressionAttributeNames: { '#by': SchemaAttributes.PublishedBy, '#deployment': SchemaAttributes.Deployment },
              ExpressionAttributeValues: { ':by': { S: deployPublisher(bus.settings.serviceName) }, ':deployment': { S: ownId } },
            }),
          );
          deleted.push(api);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            logger.info('Schema not deleted: absent, or published by someone else', { api, table });
            continue;
          }
          throw new SchemaItemWriteError('DeleteItem', schemaKey(api), table, error);
        }
      }
      return { Deleted: deleted.join(',') };
    }

    const problems: string[] = [];
    if (props[P.BusName] !== bus.settings.busName) {
      problems.push(`the template says bus "${String(props[P.BusName])}", but the bundled bus module is on bus "${bus.settings.busName}"`);
    }
    if (props[P.Service] !== bus.settings.serviceName) {
      problems.push(`the template says service "${String(props[P.Service])}", but the bundled bus module's serviceName is ${JSON.stringify(bus.settings.serviceName)}`);
    }
    const apis = registeredApis(bus);
    const declared = stringList(props[P.Apis]);
    if (!declared || declared.join(',') !== apis.join(',')) {
      problems.push(
        `the template declares APIs ${JSON.stringify(props[P.Apis])}, but the bundled bus module registers ${JSON.stringify(apis)} ` +
          '(the function may write only the declared APIs\' schema keys)',
      );
    }
    if (problems.length > 0) {
      throw new SchemaResourceRequestError(`${problems.join('; ')}. Synthesize and deploy the stack again from the same bus module.`, {
        ...requestOf(event),
        problems,
      });
    }
    const hash = schemaContentHash(bus);
    if (props[P.SchemaHash] !== hash) {
      // The bundle is the source of truth; a different hash means synth saw other definitions.
      logger.warn('The bundled schemas differ from the ones seen at synth; publishing the bundled ones', { synth: props[P.SchemaHash], bundled: hash });
    }
    // One owning service per API: refused (naming both services) unless ownership is moved on purpose.
    if (bus.settings.serviceName !== undefined && apis.length > 0) {
      const service = bus.settings.serviceName;
      const takeOwnership = props[OWNERSHIP_PROPERTIES.TakeOwnership] === 'true';
      try {
        await claimOwnershipAtDeploy(dynamoDb, { tableName: table, service, apis, takeOwnership });
      } catch (error) {
        if (error instanceof ApiOwnershipError) throw error;
        throw new SchemaItemWriteError('PutItem', apis.map(ownerKey).join(', '), table, error);
      }
    }
    for (const item of schemaItems(bus)) {
      try {
        await dynamoDb.send(new PutItemCommand({ TableName: table, Item: { ...item, [SchemaAttributes.Deployment]: { S: ownId } } }));
      } catch (error) {
        throw new SchemaItemWriteError('PutItem', item[SchemaAttributes.PartitionKey]?.S ?? '?', table, error);
      }
    }
    return { Apis: apis.join(','), SchemaHash: hash };
  }
}

function common(event: CloudFormationCustomResourceEvent) {
  return { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...(value as string[])].sort() : undefined;
}

function requestOf(event: CloudFormationCustomResourceEvent): SchemaResourceRequestContext {
  return { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId };
}

/** How {@link putResponse} retries, and which request it answers (for the error). */
interface ResponseDelivery {
  readonly attempts: number;
  readonly logger: Logger;
  /** Epoch ms after which no further attempt starts. */
  readonly deadline: number;
  readonly request: SchemaResourceRequestContext;
}

/**
 * PUTs the response to the pre-signed ResponseURL. `content-type` stays empty: the URL is signed
 * without one, and S3 rejects a request whose headers do not match the signature.
 */
async function putResponse(url: string, response: SchemaResourceResponse, delivery: ResponseDelivery): Promise<void> {
  const { attempts, logger, deadline } = delivery;
  const body = JSON.stringify(response);
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // Never outlive the invocation: a Lambda killed mid-retry leaves CloudFormation waiting an hour.
    const left = deadline - Date.now();
    if (attempt > 1 && left < 500) break;
    try {
      const reply = await fetch(url, {
        method: 'PUT',
        body,
        headers: { 'content-type': '' },
        signal: AbortSignal.timeout(Math.min(RESPONSE_TIMEOUT_MS, Math.max(1000, left - 250))),
      });
      await reply.text().catch(() => '');
      if (reply.ok) return;
      lastProblem = `HTTP ${reply.status}`;
      if (reply.status < 500) break;
    } catch (error) {
      lastProblem = describeCause(error);
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, Math.max(0, deadline - Date.now() - 1000))));
  }
  logger.error('Could not send the custom resource response to CloudFormation', { status: response.Status, problem: lastProblem });
  throw new CustomResourceResponseError(response.Status, lastProblem, delivery.request);
}
