/**
 * AWS list prices (us-east-1, as given in issue #15; see bench/README.md "Cost" for the date and
 * caveats) and the cost of a unit of work from the latency proxy's unit counts.
 */
import type { UnitCounts } from '../../tools/latency-proxy';

export const PRICES_USD_PER_MILLION = {
  sqsRequests: 0.4,
  dynamoDbWru: 1.25,
  dynamoDbRru: 0.25,
  eventBridgeEvents: 1.0,
} as const;

export interface CostPerItem {
  /** Billable units per item (RPC call or event). */
  readonly sqsRequests: number;
  readonly dynamoDbWru: number;
  readonly dynamoDbRru: number;
  readonly eventBridgeEvents: number;
  /** All AWS API requests per item (billable or not). */
  readonly apiRequests: number;
  /** Dollars per million items at list prices. */
  readonly usdPerMillion: number;
  readonly byOperation: Record<string, number>;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function costPerItem(units: UnitCounts, items: number, extra: Partial<Record<'sqsRequests' | 'eventBridgeEvents', number>> = {}): CostPerItem {
  let sqs = extra.sqsRequests ?? 0;
  let wru = 0;
  let rru = 0;
  let events = extra.eventBridgeEvents ?? 0;
  let requests = 0;
  const byOperation: Record<string, number> = {};
  for (const [key, c] of Object.entries(units)) {
    requests += c.requests;
    byOperation[key] = r3(c.requests / items);
    if (key.startsWith('sqs.')) sqs += c.units;
    else if (c.unit === 'WRU') wru += c.units;
    else if (c.unit === 'RRU') rru += c.units;
    else if (key === 'eventbridge.PutEvents') events += c.units;
  }
  const p = PRICES_USD_PER_MILLION;
  return {
    sqsRequests: r3(sqs / items),
    dynamoDbWru: r3(wru / items),
    dynamoDbRru: r3(rru / items),
    eventBridgeEvents: r3(events / items),
    apiRequests: r3(requests / items),
    usdPerMillion: r3((sqs * p.sqsRequests + wru * p.dynamoDbWru + rru * p.dynamoDbRru + events * p.eventBridgeEvents) / items),
    byOperation,
  };
}
