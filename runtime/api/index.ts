export { api, rpc, event } from './define';
export { assertValidApiName, assertValidMemberName, RESERVED_API_ROOTS } from './names';
export { API_NAME_PATTERN } from './names';
export type * from './types';
