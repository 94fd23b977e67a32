export * from './wire';
export { parseRpcRequest, readRpcRequest, parseEventDelivery, MalformedProblem, tooDeepError } from './parse';
export type { RpcRequestReading, AnswerAddress } from './parse';
export {
  CALL_ID_PATTERN,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_PARAMETER_DEPTH,
  isCallId,
  isApiName,
  isMemberName,
  isTableName,
  isWellFormed,
  isTraceparent,
  isTracestate,
  MAX_TRACESTATE_LENGTH,
  TRACEPARENT_PATTERN,
  findTooDeep,
} from './bounds';
export type { DepthViolation } from './bounds';
