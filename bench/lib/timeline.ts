/**
 * Per-call timeline of RPC calls, from the latency proxy's request records (tagged with call ids)
 * and the caller's beforeRpcCall/afterRpcCall hooks. All times are epoch ms from
 * performance.timeOrigin + performance.now() in each process.
 */
import type { ProxyRecord } from '../../tools/latency-proxy';

/** Stages in the order a call goes through them; `delete` is off the caller's path. */
export const STAGES = [
  ['caller', 'caller: call start → send request leaves'],
  ['send', 'SendMessage(Batch) round trip'],
  ['queueWait', 'in the queue: sent → the emulator answers the receive that carries it'],
  ['receive', 'ReceiveMessage response (its latency)'],
  ['claim', 'worker: received → claim written (dispatch + claim call)'],
  ['run', 'worker: claimed → result write sent (handler)'],
  ['resultWrite', 'result UpdateItem round trip'],
  ['resultRead', 'caller: result written → the read that sees it returns (poll wait + read)'],
  ['callerTail', 'caller: that read returned → call resolved'],
] as const;
export type Stage = (typeof STAGES)[number][0];

export interface CallTimeline {
  readonly id: string;
  readonly total: number;
  readonly stages: Record<Stage, number>;
  /** write done → message deleted (after the result; not on the caller's path). */
  readonly deleteAfterWrite: number;
  /** The latencies of the calls this call needed, one each: send, receive (response only), claim, write, the read that found it. */
  readonly criticalCalls: number;
}

export interface CallerSpan {
  readonly start: number;
  readonly end: number;
}

export function buildTimelines(records: readonly ProxyRecord[], caller: ReadonlyMap<string, CallerSpan>): CallTimeline[] {
  const first = new Map<string, Partial<Record<'send' | 'receive' | 'claim' | 'write' | 'read' | 'delete', ProxyRecord>>>();
  const note = (id: string, kind: 'send' | 'receive' | 'claim' | 'write' | 'read' | 'delete', r: ProxyRecord) => {
    let entry = first.get(id);
    if (!entry) first.set(id, (entry = {}));
    const seen = entry[kind];
    if (!seen || r.t0 < seen.t0) entry[kind] = r;
  };
  for (const r of records) {
    if (r.op === 'SendMessage' || r.op === 'SendMessageBatch') for (const id of r.ids ?? []) note(id, 'send', r);
    else if (r.op === 'ReceiveMessage') for (const id of r.received ?? []) note(id, 'receive', r);
    else if (r.op === 'PutItem' || r.op === 'BatchExecuteStatement') {
      for (const id of r.ids ?? []) note(id, 'claim', r);
      for (const id of r.written ?? []) note(id, 'write', r);
    }
    else if (r.op === 'UpdateItem') for (const id of r.ids ?? []) note(id, 'write', r);
    else if (r.op === 'BatchGetItem' || r.op === 'GetItem') for (const id of r.done ?? []) note(id, 'read', r);
    else if (r.op === 'DeleteMessage' || r.op === 'DeleteMessageBatch') for (const id of r.deleted ?? []) note(id, 'delete', r);
  }
  const out: CallTimeline[] = [];
  for (const [id, span] of caller) {
    const e = first.get(id);
    if (!e?.send || !e.receive || !e.claim || !e.write || !e.read) continue;
    const { send, receive, claim, write, read } = e;
    out.push({
      id,
      total: span.end - span.start,
      stages: {
        caller: send.t0 - span.start,
        send: send.t3 - send.t0,
        queueWait: receive.t2 - send.t3,
        receive: receive.t3 - receive.t2,
        claim: claim.t3 - receive.t3,
        run: write.t0 - claim.t3,
        resultWrite: write.t3 - write.t0,
        resultRead: read.t3 - write.t3,
        callerTail: span.end - read.t3,
      },
      deleteAfterWrite: e.delete ? e.delete.t3 - write.t3 : NaN,
      criticalCalls: send.t3 - send.t0 + (receive.t3 - receive.t2) + (claim.t3 - claim.t0) + (write.t3 - write.t0) + (read.t3 - read.t0),
    });
  }
  return out;
}

function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export interface TimelineSummary {
  readonly calls: number;
  readonly matched: number;
  readonly medianTotalMs: number;
  readonly medianMs: Record<Stage, number>;
  readonly medianDeleteAfterWriteMs: number;
  readonly medianCriticalCallsMs: number;
  /** Median per-request latency seen at the proxy, by operation (t0 → t3; a receive: t2 → t3). */
  readonly callLatencyMs: Record<string, number>;
  /** Of which the emulator's own time (forwarded → answered), by operation: the rest is injected latency. */
  readonly upstreamMs: Record<string, number>;
}

export function summariseTimelines(records: readonly ProxyRecord[], caller: ReadonlyMap<string, CallerSpan>): TimelineSummary {
  const timelines = buildTimelines(records, caller);
  const medianMs = Object.fromEntries(STAGES.map(([stage]) => [stage, r1(median(timelines.map((t) => t.stages[stage])))])) as Record<Stage, number>;
  const byOp = new Map<string, number[]>();
  const upstream = new Map<string, number[]>();
  for (const r of records) {
    const u = upstream.get(r.op) ?? [];
    u.push(r.t2 - r.t1);
    upstream.set(r.op, u);
    const list = byOp.get(r.op) ?? [];
    list.push(r.op === 'ReceiveMessage' ? r.t3 - r.t2 : r.t3 - r.t0);
    byOp.set(r.op, list);
  }
  return {
    calls: caller.size,
    matched: timelines.length,
    medianTotalMs: r1(median(timelines.map((t) => t.total))),
    medianMs,
    medianDeleteAfterWriteMs: r1(median(timelines.map((t) => t.deleteAfterWrite))),
    medianCriticalCallsMs: r1(median(timelines.map((t) => t.criticalCalls))),
    callLatencyMs: Object.fromEntries([...byOp].map(([op, v]) => [op, r1(median(v))])),
    upstreamMs: Object.fromEntries([...upstream].map(([op, v]) => [op, r1(median(v))])),
  };
}

/** A markdown table: one column per (mode, in-flight) summary. */
export function timelineTable(columns: readonly { label: string; summary: TimelineSummary }[]): string[] {
  const lines = [`| Stage (median ms) | ${columns.map((c) => c.label).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`];
  for (const [stage, text] of STAGES) lines.push(`| ${text} | ${columns.map((c) => c.summary.medianMs[stage]).join(' | ')} |`);
  lines.push(`| **sum of stage medians** | ${columns.map((c) => r1(STAGES.reduce((n, [s]) => n + c.summary.medianMs[s], 0))).join(' | ')} |`);
  lines.push(`| **median call (caller's view)** | ${columns.map((c) => c.summary.medianTotalMs).join(' | ')} |`);
  lines.push(`| calls on the critical path (median of each call's sum) | ${columns.map((c) => c.summary.medianCriticalCallsMs).join(' | ')} |`);
  lines.push(`| (off the path) result written → message deleted | ${columns.map((c) => c.summary.medianDeleteAfterWriteMs).join(' | ')} |`);
  lines.push(`| calls traced / made | ${columns.map((c) => `${c.summary.matched} / ${c.summary.calls}`).join(' | ')} |`);
  return lines;
}
