export { create } from './create';
export type { Bus } from './create';
export { BusClient, splitMemberName } from './bus-client';
export type { CreateOptions } from './bus-client';
export { Registry } from './registry';
export type { ListenerRegistration, ProcedureFunction } from './registry';
export { BusTransports, locateBus } from './transports';
export type { BusLocation } from './transports';
export type * from './types';
