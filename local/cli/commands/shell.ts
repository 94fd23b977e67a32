import { createInterface } from 'node:readline';
import type { REPLEval, REPLServer } from 'node:repl';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { z } from 'zod';
import { lightbus } from '../../../runtime';
import { loadBusModule, resolveBusModulePath } from '../../load-bus-module';
import { addCommonOptions, applyCommonOptions, type CommonOptions } from '../common';

export interface ShellOptions extends CommonOptions {
  readonly bus?: string;
}

/**
 * Counts evaluations in flight, so the shell knows when the last one has finished. Top-level
 * `await` comes from Node's own REPL: since Node 16 its default eval wraps code containing
 * `await` in an async function (no flag needed on Node 20).
 */
function trackEvaluations(server: REPLServer): { idle: () => Promise<void> } {
  const original: REPLEval = server.eval;
  let pending = 0;
  let waiters: Array<() => void> = [];
  const settle = () => {
    pending -= 1;
    if (pending === 0) {
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    }
  };
  const tracked: REPLEval = function (this: REPLServer, code, context, file, callback) {
    pending += 1;
    let settled = false;
    const done: typeof callback = (error, result) => {
      try {
        callback(error, result);
      } finally {
        if (!settled) {
          settled = true;
          settle();
        }
      }
    };
    try {
      original.call(server, code, context, file, done);
    } catch (error) {
      if (!settled) {
        settled = true;
        settle();
      }
      throw error;
    }
  };
  (server as { eval: REPLEval }).eval = tracked;
  return { idle: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))) };
}

/**
 * Feeds piped (non-terminal) input to the REPL one line at a time, each once the previous line's
 * evaluation has finished: Node's REPL would otherwise start every buffered line at once, so
 * `const x = await ...` followed by `x` would read x before it was set.
 */
function feedLineByLine(source: NodeJS.ReadableStream, idle: () => Promise<void>): PassThrough {
  const input = new PassThrough();
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  void (async () => {
    try {
      for await (const line of lines) {
        input.write(`${line}\n`);
        // Let the REPL read the line (and start evaluating it) before waiting for it.
        await new Promise((resolve) => setImmediate(resolve));
        await idle();
      }
    } finally {
      input.end();
    }
  })();
  return input;
}

/**
 * Starts a REPL with `bus` (the bus module's client), `lightbus` and `z` in scope. Resolves when
 * the REPL exits (`.exit`, Ctrl+D, or end of piped input), after the last evaluation finishes and
 * the bus is closed.
 */
export async function startShell(
  options: ShellOptions,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream & { isTTY?: boolean } } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<void> {
  applyCommonOptions(options);
  const path = resolveBusModulePath(options.bus);
  const bus = loadBusModule(path);
  const terminal = io.input.isTTY === true && io.output.isTTY === true;
  if (terminal) {
    io.output.write(
      `lightbus shell: bus ${bus.settings.busName} from ${path}\n` +
        'In scope: bus, lightbus, z. Top-level await works, e.g. await bus.call("api.procedure", {...}). .exit to leave.\n',
    );
  }
  let idle: () => Promise<void> = () => Promise.resolve();
  const input = terminal ? io.input : feedLineByLine(io.input, () => idle());
  // Loaded here, not at the top: node:repl loads node:domain, which then sits in every callback and
  // emit of the process (it patches EventEmitter), and every command, `lightbus run` included,
  // loads this file to register `shell`.
  const { start } = await import('node:repl');
  const server = start({ prompt: 'lightbus> ', input, output: io.output, terminal, useGlobal: false, ignoreUndefined: true });
  idle = trackEvaluations(server).idle;
  Object.assign(server.context, { bus, lightbus, z });
  await new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await idle();
  await bus.close();
  if (!terminal) io.output.write('\n');
}

export function registerShellCommand(program: Command): void {
  const command = program
    .command('shell')
    .description('Start a Node REPL with `bus` loaded from the bus module (and `lightbus`, `z`); top-level await works.')
    .option('-b, --bus <path>', 'bus module (default: LIGHTBUS_MODULE, else ./bus.ts or ./bus.js)');
  addCommonOptions(command, ['config', 'busName', 'serviceName', 'processName', 'logLevel', 'local', 'endpoint']);
  command.action(async (options: ShellOptions) => {
    await startShell(options);
  });
}
