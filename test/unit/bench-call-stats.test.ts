/**
 * The bench's per-operation call figures (bench/lib/call-stats.ts), which the events scenario uses
 * to say where one consumer loses to another: calls, what each carried, calls under way at once.
 */
import { callStats } from '../../bench/lib/call-stats';
import type { ProxyRecord } from '../../tools/latency-proxy';

const call = (op: string, t0: number, t3: number, count?: number, forwarded?: number): ProxyRecord => ({
  service: op === 'PutEvents' ? 'eventbridge' : 'sqs',
  op,
  t0,
  t1: t0 + 1,
  t2: t3 - 1,
  t3,
  ...(count !== undefined ? { count } : {}),
  ...(forwarded !== undefined ? { forwarded } : {}),
});

describe('callStats', () => {
  it('counts calls, what they carried and empty receives per operation', () => {
    const stats = callStats([call('ReceiveMessage', 1000, 1010, 10, 1), call('ReceiveMessage', 1005, 1020, 0, 3), call('DeleteMessageBatch', 1012, 1020, 10)], 1000);
    expect(stats.byOperation['sqs.ReceiveMessage']).toMatchObject({ calls: 2, perCall: 5, empty: 1, forwardedPerCall: 2, firstAfterMs: 0, spanMs: 20 });
    expect(stats.byOperation['sqs.DeleteMessageBatch']).toMatchObject({ calls: 1, perCall: 10, firstAfterMs: 12 });
    // Not a receive: no empty count.
    expect(stats.byOperation['sqs.DeleteMessageBatch']?.empty).toBeUndefined();
  });

  it('tells the most calls under way at once, and the mean over the operation span', () => {
    // 0-10 and 5-15 overlap; 15-25 starts as the second ends (no overlap); span 0-25, busy 30.
    const stats = callStats([call('PutEvents', 0, 10), call('PutEvents', 5, 15), call('PutEvents', 15, 25)], 0);
    expect(stats.byOperation['eventbridge.PutEvents']).toMatchObject({ maxInFlight: 2, meanInFlight: 1.2, spanMs: 25 });
    expect(stats.windowMs).toBe(25);
  });

  it('has nothing to say about no calls', () => {
    expect(callStats([], 0)).toEqual({ windowMs: 0, byOperation: {} });
  });
});
