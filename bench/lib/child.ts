/** Child processes for the scenarios that need a second process (workers), with an IPC channel. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface BenchChild {
  readonly process: ChildProcess;
  /** Waits for the next IPC message satisfying `match`. */
  next<T = Record<string, unknown>>(match: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<T>;
  /** Resolves when a line of output contains `text`. */
  outputContains(text: string, timeoutMs: number): Promise<void>;
  send(message: Record<string, unknown>): void;
  stop(): Promise<number | null>;
  output(): string;
}

/**
 * Spawns `node <args>` with tsx registered (`-r tsx/cjs`), in the repo root, with an IPC channel.
 * Output is kept (last 20 kB) for error messages, not echoed.
 */
export function spawnNode(args: readonly string[], env: Record<string, string>): BenchChild {
  // BENCH_CHILD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the children.
  const nodeArgs = process.env.BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '-r', 'tsx/cjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const lineWaiters: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    for (const waiter of [...lineWaiters]) {
      if (output.includes(waiter.text)) {
        lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const messageWaiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  child.on('message', (m) => {
    const message = m as Record<string, unknown>;
    const index = messageWaiters.findIndex((w) => w.match(message));
    if (index >= 0) messageWaiters.splice(index, 1)[0]?.resolve(message);
  });
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exited = true;
    resolve(code);
  }));
  const failOnExit = <T>(what: string, timeoutMs: number, wait: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Child output:\n${output.slice(-3000)}`)), timeoutMs);
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`Child exited (code ${code}) while waiting for ${what}. Output:\n${output.slice(-3000)}`));
      });
      wait.then((v) => {
        clearTimeout(timer);
        resolve(v);
      }, reject);
    });
  return {
    process: child,
    next: <T>(match: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string) =>
      failOnExit(what, timeoutMs, new Promise<T>((resolve) => messageWaiters.push({ match, resolve: (m) => resolve(m as T) }))),
    outputContains: (text, timeoutMs) =>
      output.includes(text)
        ? Promise.resolve()
        : failOnExit(`"${text}" in the child's output`, timeoutMs, new Promise<void>((resolve) => lineWaiters.push({ text, resolve }))),
    send: (message) => {
      child.send(message);
    },
    stop: async () => {
      if (exited) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    output: () => output,
  };
}
