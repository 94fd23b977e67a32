export { LightbusWorker } from './worker';
export type { WorkerOptions, WorkerFeatures, WorkerEvents } from './worker';
export { QueueConsumer } from './queue-consumer';
export type { QueueConsumerOptions, QueueConsumerEvents } from './queue-consumer';
export { provisionTopology } from './provision';
export type { ProvisionedTopology } from './provision';
export { loadBusModule, resolveBusModulePath } from './load-bus-module';
export { main as runCli, buildProgram } from './cli';
