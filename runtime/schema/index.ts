export { parseOrThrow, toValidationIssues, jsonPath } from './validate';
export type { ValidationContext } from './validate';
export { toWireValue } from './cast';
