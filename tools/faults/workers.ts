/** Worker processes for the fault suite: `lightbus run --local` on test/faults/fault-bus.ts, logs parsed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../emulator';

const BUS_MODULE = join(REPO_ROOT, 'test', 'faults', 'fault-bus.ts');
const LIGHTBUS_BIN = join(REPO_ROOT, 'bin', 'lightbus.js');

export type LogLine = Record<string, unknown> & { readonly message?: unknown; readonly level?: unknown };

/** A `lightbus run --local` child process. `crashed` says whether it ended in a way the suite did not ask for. */
export class WorkerProcess {
  public readonly logs: LogLine[] = [];
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the suite did to it: an exit after SIGKILL is expected, after SIGTERM only with code 0. */
  private sent: 'SIGTERM' | 'SIGKILL' | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  public constructor(
    public readonly name: string,
    private readonly child: ChildProcess,
  ) {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) this.logs.push(parseLine(line));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) this.logs.push(parseLine(line));
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  public get pid(): number {
    return this.child.pid ?? -1;
  }

  public async started(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.logs.some((l) => l.message === 'Worker started')) {
      if (this.exit) throw new Error(`${this.name} exited before it started: ${JSON.stringify(this.logs.slice(-5))}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). Returns how long the stop took. */
  public async terminate(graceMs = 40_000): Promise<number> {
    const started = Date.now();
    if (this.exit) return 0;
    this.sent = 'SIGTERM';
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    return Date.now() - started;
  }

  public async kill9(): Promise<void> {
    if (this.exit) return;
    this.sent = 'SIGKILL';
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ended unasked, or not with code 0 after a SIGTERM, or logged an uncaught error. */
  public get crashed(): boolean {
    const uncaught = this.logs.some((l) => /uncaught|unhandled/i.test(String(l.message)));
    if (uncaught) return true;
    if (!this.exit) return false;
    if (this.sent === 'SIGKILL') return false;
    return this.sent !== 'SIGTERM' || this.exit.code !== 0;
  }

  /** The fields of its `Worker stopped` log line. */
  public stoppedSummary(): LogLine | undefined {
    return this.logs.find((l) => l.message === 'Worker stopped');
  }
}

export interface SpawnOptions {
  readonly busName: string;
  readonly recordFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
}

let counter = 0;

/** Starts a worker and waits until it says it started. */
export async function spawnWorker(name: string, options: SpawnOptions): Promise<WorkerProcess> {
  counter += 1;
  const child = spawn(process.execPath, [LIGHTBUS_BIN, 'run', '--local', '--bus', BUS_MODULE, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      LIGHTBUS_BUS_NAME: options.busName,
      LIGHTBUS_PROCESS_NAME: `${name}-${counter}`,
      LIGHTBUS_LOG_FORMAT: 'json',
      LIGHTBUS_LOG_LEVEL: 'info',
      LIGHTBUS_FAULT_RECORD_FILE: options.recordFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker = new WorkerProcess(name, child);
  live.add(worker);
  void worker.exited.then(() => live.delete(worker));
  await worker.started();
  return worker;
}

const live = new Set<WorkerProcess>();

/** Kills every worker still running (the suite's net when a scenario throws). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill9()));
}

function parseLine(line: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LogLine) : { message: line };
  } catch {
    return { message: line };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
