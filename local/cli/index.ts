import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { LightbusError } from '../../runtime/errors';
import { registerDashboardCommand } from './commands/dashboard';
import { registerDlqCommand } from './commands/dlq';
import { registerDumpConfigSchemaCommand } from './commands/dumpconfigschema';
import { registerDumpSchemaCommand } from './commands/dumpschema';
import { registerInspectCommand } from './commands/inspect';
import { registerReplayCommand } from './commands/replay';
import { registerRunCommand } from './commands/run';
import { registerShellCommand } from './commands/shell';

// package.json is two folders up from the sources, three from the published build (dist/local/cli).
const PACKAGE_JSON = [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')].find((p) => existsSync(p));
const VERSION: string = (require(PACKAGE_JSON ?? '../../package.json') as { version: string }).version;

/** Builds the `lightbus` command line. */
export function buildProgram(): Command {
  const program = new Command('lightbus')
    .description('lightbus-aws: an event and RPC bus on EventBridge, SQS and DynamoDB')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerRunCommand(program);
  registerInspectCommand(program);
  registerShellCommand(program);
  registerDlqCommand(program);
  registerReplayCommand(program);
  registerDumpConfigSchemaCommand(program);
  registerDumpSchemaCommand(program);
  registerDashboardCommand(program);
  program
    .command('version')
    .description('Print the lightbus-aws version')
    .action(() => {
      process.stdout.write(`${VERSION}\n`);
    });
  return program;
}

/** Runs the CLI; errors go to stderr with a non-zero exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its own message (or help) already.
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof LightbusError ? `${error.name}: ${error.message}` : (error as Error).stack ?? String(error);
    process.stderr.write(`lightbus: ${message}\n`);
    process.exitCode = 1;
  }
}
