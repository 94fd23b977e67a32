/** The latency proxy (tools/latency-proxy) as a child of the bench, driven over IPC. */
import * as path from 'node:path';
import type { ProxyRecord, UnitCounts } from '../../tools/latency-proxy';
import { REPO_ROOT, spawnNode, type BenchChild } from './child';

export interface ProxyChild {
  readonly endpoint: string;
  readonly profile: 'aws' | 'zero';
  /** The proxy process, for its CPU time. */
  readonly pid: number | undefined;
  /** Starts (or stops) keeping per-request records; also clears what was kept and counted. */
  record(on: boolean): Promise<void>;
  /** Records and unit counts since the last take (or record()). */
  take(): Promise<{ records: ProxyRecord[]; units: UnitCounts }>;
  stop(): Promise<void>;
}

export async function startProxyChild(upstream: string, profile: 'aws' | 'zero'): Promise<ProxyChild> {
  const child: BenchChild = spawnNode([path.join(REPO_ROOT, 'tools', 'latency-proxy', 'main.ts')], {
    PROXY_UPSTREAM: upstream,
    PROXY_PROFILE: profile,
    PROXY_SEED: process.env.BENCH_PROXY_SEED ?? '15',
  });
  const ready = await child.next<{ endpoint: string }>((m) => m.type === 'ready', 30_000, 'the latency proxy');
  const take = () => {
    const reply = child.next<{ records: ProxyRecord[]; units: UnitCounts }>((m) => m.type === 'taken', 30_000, 'proxy records');
    child.send({ type: 'take' });
    return reply;
  };
  return {
    endpoint: ready.endpoint,
    profile,
    pid: child.process.pid,
    record: async (on) => {
      const reply = child.next((m) => m.type === 'recording', 10_000, 'proxy recording switch');
      child.send({ type: 'record', on });
      await reply;
      await take();
    },
    take,
    stop: async () => {
      await child.stop();
    },
  };
}
