export * from './wire';
export { parseRpcRequest, parseEventDelivery } from './parse';
