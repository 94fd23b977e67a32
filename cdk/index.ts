/**
 * CDK constructs for lightbus-aws. Builds on `runtime/` only; Lambda code comes from `handlers/`
 * through the bundle, never through an import.
 */
export { LightbusBus } from './lightbus-bus';
export type {
  ILightbusBus,
  LightbusBusProps,
  CallGrantOptions,
  ReadResultsGrantOptions,
  PublishSchemasGrantOptions,
  WriteResultsGrantOptions,
} from './lightbus-bus';
export { LightbusService } from './lightbus-service';
export type { LightbusServiceProps, LightbusWorkerOptions, LightbusSeparateFunction } from './lightbus-service-props';
/** The environment-variable contract is the runtime's (runtime/config/environment.ts); re-exported for CDK apps. */
export { ClientEnvironment } from '../runtime/config';
export { ConstructValidationError } from '../runtime/errors/deployment';
export type { WorkerBundle } from './bundle';
