/**
 * The delay before retrying entries a batch call reported as failed (the SDK's own retries cover
 * a failed call, not a failed entry): exponential from `baseMs`, with jitter (50–100 % of it) so
 * that entries failed together do not come back together.
 */
export function backoffMs(baseMs: number, attempt: number): number {
  return baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
}
