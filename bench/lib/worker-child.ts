/** Runs the bench bus module with the real CLI, `lightbus run --local`, as a child process. */
import * as path from 'node:path';
import { REPO_ROOT, spawnNode, type BenchChild } from './child';

export async function startLightbusWorker(busName: string, extraArgs: readonly string[] = [], env: Record<string, string> = {}): Promise<BenchChild> {
  // BENCH_WORKER_ARGS (e.g. `--concurrency 64`): try a worker option in every scenario (A/B runs).
  const benchArgs = process.env.BENCH_WORKER_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawnNode(
    [path.join(REPO_ROOT, 'bin', 'lightbus.js'), 'run', '--local', '--bus', path.join(REPO_ROOT, 'bench', 'fixtures', 'bus.ts'), ...benchArgs, ...extraArgs],
    { LIGHTBUS_BUS_NAME: busName, LIGHTBUS_LOG_LEVEL: 'info', LIGHTBUS_LOG_FORMAT: 'json', ...env },
  );
  await child.outputContains('Worker started', 60_000);
  return child;
}

export async function memoryOf(child: BenchChild): Promise<{ rss: number; peakRss: number }> {
  const reply = child.next<{ rss: number; peakRss: number }>((m) => m.type === 'memory', 5000, 'memory report');
  child.send({ type: 'memory' });
  return reply;
}
