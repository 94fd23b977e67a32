export { parseOrThrow, toValidationIssues, jsonPath } from './validate';
export type { ValidationContext } from './validate';
export { asWireValue, toWireValue, castIncoming, needsCasting } from './cast';
export { bytes, isBytesSchema, isBytesValue } from './types';
export {
  apiSchema,
  toJsonSchema,
  readApiSchema,
  schemaVersion,
  API_SCHEMA_FORMAT,
  JSON_SCHEMA_DIALECT,
  BASE64_PATTERN,
  BIGINT_PATTERN,
} from './json-schema';
export type { ApiSchema, RpcSchema, EventSchema, JsonSchema } from './json-schema';
export { JsonSchemaValidators, jsonSchemaValidators, pointerToPath } from './json-validate';
export type { MemberKind, MessagePart } from './json-validate';
export {
  SchemaStore,
  SchemaAttributes,
  SCHEMA_KEY_PREFIX,
  SCHEMA_ITEM_KIND,
  schemaKey,
  schemaItem,
  parseSchemaItem,
  isExpired,
} from './store';
export type { StoredSchema, SchemaItemOptions, SchemaLookup, PublishOutcome } from './store';
export {
  DEPLOYED_SCHEMAS_RESOURCE_TYPE,
  DeployedSchemasProperties,
  deployedSchemasPhysicalId,
  deployPublisher,
  registeredApis,
  schemaContentHash,
  schemaItems,
} from './deploy';
export type { SchemaSource } from './deploy';
export { BusSchemas, DEFAULT_SCHEMA_REFRESH_MS, DEFAULT_MISSING_RECHECK_MS } from './bus-schemas';
export type { BusSchemasOptions, SchemaResolution } from './bus-schemas';
