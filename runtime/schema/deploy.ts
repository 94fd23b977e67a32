import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AnyApiDefinition } from '../api/types';
import { apiSchema } from './json-schema';
import { schemaItem } from './store';

/**
 * The contract between `LightbusService` (cdk/), which declares a custom resource that publishes a
 * service's schemas at deploy time, and the worker function (handlers/), which serves it. Both
 * build on runtime/, so the names live here.
 */
export const DEPLOYED_SCHEMAS_RESOURCE_TYPE = 'Custom::LightbusSchemas';

/** Properties of the custom resource (besides CloudFormation's `ServiceToken`). */
export const DeployedSchemasProperties = {
  /** The bus name; the handler checks it against its own bus. */
  BusName: 'BusName',
  /** The service name; the handler checks it against its own bus. */
  Service: 'Service',
  /** The APIs the bus module registers, sorted: the keys the function may write. */
  Apis: 'Apis',
  /** {@link schemaContentHash} at synth: a changed contract changes it, so CloudFormation sends an Update. */
  SchemaHash: 'SchemaHash',
} as const;

/**
 * The custom resource's physical id: per service on a bus, and per resource (stack and logical
 * id). When a refactor replaces the resource (a renamed construct, a service moved to another
 * stack), CloudFormation creates the new one before deleting the old: distinct ids let the old
 * one's Delete leave alone the schemas the new one has just written.
 */
export function deployedSchemasPhysicalId(busName: string, serviceName: string, stackId: string, logicalResourceId: string): string {
  const resource = createHash('sha256').update(`${stackId}/${logicalResourceId}`).digest('hex').slice(0, 8);
  return `lightbus-schemas-${busName}-${serviceName}-${resource}`;
}

/** Who a deployment's schema items say published them (`publishedBy`). */
export function deployPublisher(serviceName: string | undefined): string {
  return `deploy:${serviceName ?? 'unnamed-service'}`;
}

/** The APIs a bus module registers, sorted. */
export function registeredApis(bus: SchemaSource): string[] {
  return [...bus.registry.registeredApis].sort();
}

/**
 * The first 16 hex digits of the SHA-256 of `<api>@<schema version>` per registered API (sorted):
 * changes whenever any registered API's contract changes, or an API is added or removed.
 */
export function schemaContentHash(bus: SchemaSource): string {
  const lines = registeredApis(bus).map((api) => {
    const definition = bus.registry.findDefinition(api);
    if (!definition) throw new Error(`API "${api}" is registered but has no definition`);
    return `${api}@${apiSchema(definition).version}`;
  });
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** What `schemaItems()` needs of a bus client (structural, so bundles with their own runtime copy work). */
export interface SchemaSource {
  readonly registry: { readonly registeredApis: readonly string[]; findDefinition(api: string): AnyApiDefinition | undefined };
  readonly settings: { readonly serviceName: string | undefined };
}

/**
 * The DynamoDB items a deployed service publishes for the APIs it registers: no `expiresAt`, so
 * they stay until the next deploy replaces them (or the stack's removal deletes them). Write them
 * with PutItem (unconditionally) into the bus's results table from a custom resource or deploy step.
 */
export function schemaItems(bus: SchemaSource, options: { publishedAt?: number } = {}): Record<string, AttributeValue>[] {
  const publishedBy = deployPublisher(bus.settings.serviceName);
  return [...bus.registry.registeredApis].sort().map((api) => {
    const definition = bus.registry.findDefinition(api);
    if (!definition) throw new Error(`API "${api}" is registered but has no definition`);
    return schemaItem(apiSchema(definition), { publishedBy, ...(options.publishedAt !== undefined ? { publishedAt: options.publishedAt } : {}) });
  });
}
