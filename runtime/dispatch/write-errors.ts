/**
 * DynamoDB errors that say the write itself is wrong, not that the service is busy or unreachable:
 * the same write will be refused every time, so retrying it only holds the message (and the
 * worker) until a deadline. `ValidationException` is what DynamoDB answers for an item over
 * 400 KB ("Item size has exceeded the maximum allowed size"), a key over its size limit, or an
 * attribute value it cannot store.
 */
const PERMANENT_WRITE_ERRORS: ReadonlySet<string> = new Set(['ValidationException']);

/** True when a results-table write failed in a way that retrying cannot change. */
export function isPermanentWriteError(error: unknown): boolean {
  return error instanceof Error && PERMANENT_WRITE_ERRORS.has(error.name);
}
