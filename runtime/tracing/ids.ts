import { randomFillSync } from 'node:crypto';

/**
 * Random trace and span ids, as lowercase hex. Ids are cut from a pool of random bytes filled 4 KiB
 * at a time: a crypto call per id would cost more than the rest of the trace context together.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL_SIZE) {
      randomFillSync(pool);
      offset = 0;
    }
    const hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    // All zeros is the invalid id (1 in 2^64 for a span id): draw again.
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A new W3C trace id: 32 hex digits, not all zero. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A new W3C span id: 16 hex digits, not all zero. */
export function newSpanId(): string {
  return randomHex(8);
}
