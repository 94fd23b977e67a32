/** Fresh npm projects in temporary folders, set up as a user would: the packed tarball installed from disk. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The tarball global-setup.ts packed (or LIGHTBUS_PACKAGE_TARBALL). */
export function packedTarball(): string {
  const tarball = process.env.LIGHTBUS_PACKAGE_TARBALL;
  if (!tarball) throw new Error('LIGHTBUS_PACKAGE_TARBALL is not set: run these tests with `npm run test:package`.');
  return tarball;
}

/** The version of one of our own devDependencies: fresh projects use the same ones, from the npm cache. */
export function ourVersion(name: string): string {
  const pkg = require(join(REPO_ROOT, 'package.json')) as { devDependencies: Record<string, string> };
  const version = pkg.devDependencies[name];
  if (version === undefined) throw new Error(`${name} is not a devDependency of lightbus-aws`);
  return version;
}

/** A new folder with `files` written into it (package.json among them). */
export function freshProject(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), `lightbus-${prefix}-`));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

export function removeProject(dir: string | undefined): void {
  if (dir && !process.env.LIGHTBUS_KEEP_PACKAGE_PROJECTS) rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment of a user's process: ours (the emulator's variables), without the variables
 * that say "inside a jest worker" (the library skips its TypeScript loader under jest).
 */
function userEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { JEST_WORKER_ID: _worker, ...rest } = process.env;
  return { ...rest, ...env };
}

/** `npm install` as fast as a fresh project allows: from the cache when it can, no audit, no fund. */
export function npmInstall(dir: string, args: readonly string[] = []): void {
  run(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...args]);
}

/** Runs a command to completion; throws with its output if it fails. Returns stdout. */
export function run(dir: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, {
      cwd: dir,
      env: userEnv(env),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} (in ${dir}) exited with ${failed.status}\nstdout:\n${failed.stdout ?? ''}\nstderr:\n${failed.stderr ?? ''}`,
    );
  }
}

/** Runs a command that is expected to fail; resolves its exit code and output. */
export function runFailing(dir: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const stdout = execFileSync(command, args, { cwd: dir, env: userEnv(env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number | null; stdout?: string; stderr?: string };
    return { status: failed.status, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A long-running process whose JSON log lines (stderr or stdout) are collected. */
export interface LoggingProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line `match` accepts; rejects if the process exits or `timeoutMs` passes first. */
  waitFor(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
}

export function startProcess(dir: string, command: readonly string[], env: NodeJS.ProcessEnv): LoggingProcess {
  const [file, ...args] = command;
  const child = spawn(file!, args, { cwd: dir, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let exitCode: number | null | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const notify of [...listeners]) notify();
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      for (const notify of [...listeners]) notify();
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (match, what, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = lines.find(match);
          if (line !== undefined) return finish(() => resolve(line));
          if (exitCode !== undefined) finish(() => reject(new Error(`${command.join(' ')} exited (${exitCode}) before ${what}:\n${lines.join('\n')}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`No ${what} within ${timeoutMs} ms:\n${lines.join('\n')}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Parses a JSON log line, or undefined for any other line. */
export function logRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A line that is a JSON log record with this message (and, if given, these fields). */
export function logged(message: string, fields: Record<string, unknown> = {}): (line: string) => boolean {
  return (line) => {
    const record = logRecord(line);
    return record !== undefined && record.message === message && Object.entries(fields).every(([k, v]) => record[k] === v);
  };
}
