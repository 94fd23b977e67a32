/**
 * Outgoing values become JSON: dates → ISO 8601, bytes → base64, sets → arrays, maps → objects,
 * bigint → string. (Incoming values are turned back by the schema, see `decodeIncoming`.)
 */
export function toWireValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Set) return [...value].map(toWireValue);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toWireValue(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toWireValue);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toWireValue(v);
    }
    return out;
  }
  return value;
}
