/** Runs `bin/lightbus.js` as a child process and watches its output, for the CLI tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const LIGHTBUS_BIN = join(REPO_ROOT, 'bin', 'lightbus.js');

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (of stdout or stderr) that `match` accepts. */
  waitForLine(stream: 'stdout' | 'stderr', match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts `lightbus <args>` with the test environment (emulator variables) plus `env`. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [LIGHTBUS_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LIGHTBUS_LOG_FORMAT: 'json', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  const waiters: Array<{ stream: 'stdout' | 'stderr'; match: (line: string) => boolean; resolve: (line: string) => void }> = [];
  const partial = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output[stream] += text;
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) {
        for (const waiter of [...waiters]) {
          if (waiter.stream === stream && waiter.match(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    waitForLine: (stream, match, timeoutMs = 30_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`No matching ${stream} line within ${timeoutMs} ms.\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`)),
          timeoutMs,
        );
        const done = (line: string) => {
          clearTimeout(timer);
          resolve(line);
        };
        const existing = output[stream].split('\n').find(match);
        if (existing !== undefined) return done(existing);
        waiters.push({ stream, match, resolve: done });
        void exited.then(({ code }) => {
          if (waiters.some((w) => w.resolve === done)) {
            clearTimeout(timer);
            reject(new Error(`lightbus exited (code ${code}) before a matching ${stream} line.\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`));
          }
        });
      }),
  };
}

/** Runs `lightbus <args>` to completion. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}, stdin?: string) {
  const cli = startCli(args, env);
  if (stdin !== undefined) cli.child.stdin.end(stdin);
  else cli.child.stdin.end();
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Kills whatever a test left running (afterEach). */
export async function killAllCli(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Parses JSON log lines, skipping anything else. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
