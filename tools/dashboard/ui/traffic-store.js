// The page's copy of the live traffic: at most `capacity` items (the server's own bound), newest
// last; a call's outcome replaces its claim (same id). Counts what it let go, so the page can say so.
export class TrafficStore {
  constructor(capacity) {
    this.capacity = capacity;
    this.byKey = new Map();
    this.received = 0;
    this.evicted = 0;
    this.droppedByServer = 0;
  }

  key(item) {
    return `${item.kind}:${item.id}`;
  }

  add(items) {
    for (const item of items) {
      const key = this.key(item);
      if (this.byKey.has(key)) {
        this.byKey.set(key, { ...this.byKey.get(key), ...item });
        continue;
      }
      this.byKey.set(key, item);
      this.received += 1;
      if (this.byKey.size > this.capacity) {
        this.byKey.delete(this.byKey.keys().next().value);
        this.evicted += 1;
      }
    }
  }

  items() {
    return [...this.byKey.values()];
  }

  get size() {
    return this.byKey.size;
  }
}

/** The same filter as the server's (local/dashboard/traffic.ts matchesTraffic). */
export function matches(item, filter) {
  if (filter.kind && item.kind !== filter.kind) return false;
  if (filter.api && !wildcard(filter.api).test(item.api)) return false;
  if (filter.event && (item.kind !== 'event' || !wildcard(filter.event).test(item.name))) return false;
  if (filter.procedure && (item.kind !== 'call' || !wildcard(filter.procedure).test(item.name))) return false;
  if (filter.param && !matchesParameter(item.parameters, filter.param)) return false;
  return true;
}

function matchesParameter(parameters, expression) {
  if (!parameters) return false;
  const eq = expression.indexOf('=');
  if (eq > 0) {
    const name = expression.slice(0, eq).trim();
    const value = expression.slice(eq + 1).trim();
    return Object.prototype.hasOwnProperty.call(parameters, name) && asText(parameters[name]) === value;
  }
  return Object.values(parameters).some((value) => asText(value).includes(expression));
}

const asText = (value) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');

function wildcard(pattern) {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
