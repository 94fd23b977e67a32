/**
 * CDK constructs for lightbus-aws. Builds on `runtime/` only; Lambda code comes from `handlers/`
 * through the bundle, never through an import.
 */
export { LightbusBus } from './lightbus-bus';
export type { ILightbusBus, LightbusBusProps, PublishSchemasGrantOptions, WriteResultsGrantOptions } from './lightbus-bus';
export { LightbusService } from './lightbus-service';
export type { LightbusServiceProps, LightbusWorkerOptions, LightbusSeparateFunction } from './lightbus-service';
export { ClientEnvironment } from './client-environment';
export type { WorkerBundle } from './bundle';
