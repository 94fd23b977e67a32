import type { Command } from 'commander';
import { lightbus } from '../../../runtime';
import type { BusClient } from '../../../runtime/client';
import { ConfigurationError } from '../../../runtime/errors';
import { loadBusModule, resolveBusModulePath } from '../../load-bus-module';
import { collectSchemas, combinedDump, readSchemaDump, writeSchemaDump } from '../../schema-dump';
import { addCommonOptions, applyCommonOptions, type CommonOptions } from '../common';

export interface DumpSchemaOptions extends CommonOptions {
  readonly bus?: string;
  readonly out?: string;
  /** commander's `--no-remote` sets this to false. */
  readonly remote?: boolean;
  readonly schema?: string;
}

/** The bus module if one is given or found; else a bare client (bus name from flags, config or env). */
function loadBus(options: DumpSchemaOptions): BusClient {
  let path: string | undefined;
  try {
    path = resolveBusModulePath(options.bus);
  } catch (error) {
    if (options.bus !== undefined || process.env.LIGHTBUS_MODULE) throw error;
    if (!(error instanceof ConfigurationError)) throw error;
  }
  return path ? loadBusModule(path) : lightbus.create({});
}

/** `lightbus dumpschema`: writes every schema the bus knows; returns what was written (for tests). */
export async function dumpSchemas(
  options: DumpSchemaOptions,
  write: (text: string) => void = (text) => process.stdout.write(text),
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<{ files: string[]; apis: string[] }> {
  applyCommonOptions(options);
  const bus = loadBus(options);
  try {
    if (options.schema) bus.schemas.pin(readSchemaDump(options.schema));
    const { schemas, origins, notes } = await collectSchemas(bus, { remote: options.remote !== false });
    for (const note of notes) warn(`lightbus dumpschema: ${note}\n`);
    const apis = schemas.map((s) => s.api);
    if (options.out === undefined) {
      write(`${JSON.stringify(combinedDump(bus.settings.busName, schemas), null, 2)}\n`);
      return { files: [], apis };
    }
    const files = writeSchemaDump(options.out, bus.settings.busName, schemas);
    const summary = schemas.map((s) => `${s.api} (${origins.get(s.api)}, ${s.version})`).join(', ') || 'none';
    warn(`lightbus dumpschema: wrote ${files.length} file(s) for bus "${bus.settings.busName}": ${summary}\n`);
    return { files, apis };
  } finally {
    await bus.close();
  }
}

export function registerDumpSchemaCommand(program: Command): void {
  const command = program
    .command('dumpschema')
    .description(
      'Write the JSON Schemas of every API the bus knows: the bus module\'s definitions and the schemas published on the bus. ' +
        'Load the result with `lightbus run --schema` to validate development against these contracts.',
    )
    .option('-b, --bus <path>', 'bus module (default: LIGHTBUS_MODULE, else ./bus.ts or ./bus.js if present, else none)')
    .option('-o, --out <path>', 'a .json file (all APIs in one file) or a directory (one <api>.json per API); default: stdout')
    .option('--no-remote', 'only the bus module\'s definitions: do not read the schemas published on the bus')
    .option('--schema <path>', 'also include a previous dump (file or directory)');
  addCommonOptions(command, ['config', 'busName', 'local', 'endpoint', 'logLevel']);
  command.action(async (options: DumpSchemaOptions) => {
    await dumpSchemas(options);
  });
}
