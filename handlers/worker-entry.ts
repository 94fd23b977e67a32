import { busFromModule } from '../runtime/client';
import { createSqsHandler, type SqsBatchHandler, type SqsHandlerOptions } from './sqs-handler';

/**
 * The handler `LightbusService` bundles: given the bus module's namespace, finds its `bus` export
 * and returns the SQS batch handler for it. The bundle's entry is, in effect:
 *
 * @example
 * import * as busModule from './bus';
 * export const handler = createWorkerHandler(busModule);
 */
export function createWorkerHandler(busModule: Readonly<Record<string, unknown>>, options: SqsHandlerOptions = {}): SqsBatchHandler {
  return createSqsHandler(busFromModule(busModule, process.env.LIGHTBUS_MODULE ?? 'the bus module'), options);
}
