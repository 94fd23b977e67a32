/**
 * The same-run baseline for RPC throughput: Lightbus (Python) on Redis, the system lightbus-aws
 * re-imagines, serving the same no-op `bench.echo` on this machine while the bench runs.
 *
 * A Redis server on a free port (no persistence), `lightbus run` serving
 * bench/fixtures/lightbus-redis/bus.py, and a Python client process per measurement
 * (bench/fixtures/lightbus-redis/client.py). tools/lightbus-redis/install.sh installs both.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../../tools/emulator';
import { REPO_ROOT } from './child';
import { cpuMsOf } from './process-cpu';
import { waitFor } from './stats';

const run = promisify(execFile);
const VENV_BIN = path.join(REPO_ROOT, '.lightbus-redis-venv', 'bin');
const FIXTURES = path.join(REPO_ROOT, 'bench', 'fixtures', 'lightbus-redis');

export interface LightbusOnRedis {
  /**
   * `calls` bench.echo calls at `inFlight` at a time, after `warmup` calls: calls per second, and
   * the CPU time per call of the client, the worker and Redis together (NaN without /proc).
   */
  measure(inFlight: number, calls: number, warmup?: number): Promise<{ callsPerSecond: number; cpuMicrosecondsPerCall: number }>;
  stop(): Promise<void>;
}

/** Runs tools/lightbus-redis/install.sh (idempotent: a second run makes no network call). */
async function installLightbusOnRedis(): Promise<void> {
  await run('bash', [path.join(REPO_ROOT, 'tools', 'lightbus-redis', 'install.sh')], { cwd: REPO_ROOT });
}

/** Keeps the last 10 kB of a child's output and whether it has exited. */
function watchChild(child: ChildProcess, what: string): { output: () => string; exited: () => boolean } {
  let output = '';
  let exited = false;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', (err) => {
    output += `\n${what}: ${err.message}`;
    exited = true;
  });
  return { output: () => output, exited: () => exited };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exit;
  clearTimeout(timer);
}

/** Starts Redis and a Lightbus worker; resolves once the worker serves bench.echo. */
export async function startLightbusOnRedis(): Promise<LightbusOnRedis> {
  if (!existsSync(path.join(VENV_BIN, 'lightbus'))) await installLightbusOnRedis();
  const port = await findFreePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'lightbus-redis-'));
  const config = path.join(dir, 'lightbus.yaml');
  const url = `redis://127.0.0.1:${port}/0`;
  const transport = `        redis:\n          url: "${url}"\n`;
  writeFileSync(config, [
    'bus:', '  schema:', '    transport:', `      redis:\n        url: "${url}"`,
    'apis:', '  default:',
    `    rpc_transport:\n${transport}    result_transport:\n${transport}    event_transport:\n${transport}`,
  ].join('\n'));
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const redisState = watchChild(redis, 'redis-server');
  const env = { ...process.env, LIGHTBUS_CONFIG: config, PYTHONPATH: FIXTURES };
  let worker: ChildProcess | undefined;
  const stop = async () => {
    if (worker) await stopChild(worker);
    await stopChild(redis);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => redisState.exited() || redisState.output().includes('Ready to accept connections'), 10_000, `redis-server on port ${port}`);
    if (redisState.exited()) throw new Error(`redis-server exited: ${redisState.output()}`);
    worker = spawn(path.join(VENV_BIN, 'lightbus'), ['run', '--bus', 'bus'], { cwd: FIXTURES, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const workerState = watchChild(worker, 'lightbus run');
    // Lightbus logs this line once its RPC consumers are listening.
    await waitFor(() => workerState.exited() || workerState.output().includes('on_start hooks was successful'), 30_000, 'lightbus run to start');
    if (workerState.exited()) throw new Error(`lightbus run exited: ${workerState.output()}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    async measure(inFlight, calls, warmup = 200) {
      const client = spawn(path.join(VENV_BIN, 'python'), [path.join(FIXTURES, 'client.py'), String(inFlight), String(calls), String(warmup)], { cwd: FIXTURES, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const clientState = watchChild(client, 'client.py');
      const servers = (): number => (cpuMsOf(worker?.pid) ?? NaN) + (cpuMsOf(redis.pid) ?? NaN);
      let serversBefore = NaN;
      let lines = '';
      client.stdout?.on('data', (chunk: Buffer) => {
        lines += chunk.toString();
        if (Number.isNaN(serversBefore) && lines.includes('"measuring"')) serversBefore = servers();
      });
      const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
      const serversMs = servers() - serversBefore;
      const reply = JSON.parse(lines.trim().split('\n').pop() ?? '{}') as { callsPerSecond?: number; clientCpuMs?: number };
      if (code !== 0 || typeof reply.callsPerSecond !== 'number') throw new Error(`Lightbus client exited ${code}: ${clientState.output().slice(-2000)}`);
      return { callsPerSecond: reply.callsPerSecond, cpuMicrosecondsPerCall: Math.round((((reply.clientCpuMs ?? NaN) + serversMs) / calls) * 1000) };
    },
    stop,
  };
}
