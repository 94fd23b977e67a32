import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { configJsonSchema } from '../../../runtime/config';

/** The configuration file's JSON Schema as text (generated from the zod schema in runtime/config). */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

export function registerDumpConfigSchemaCommand(program: Command): void {
  program
    .command('dumpconfigschema')
    .description(
      'Print the JSON Schema of the configuration file, for editor completion and validation ' +
        '(e.g. "$schema": "./lightbus.schema.json" in JSON, or a yaml-language-server comment in YAML).',
    )
    .option('-o, --out <file>', 'write it to this file instead of stdout')
    .action((options: { out?: string }) => {
      const text = configSchemaText();
      if (options.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const path = resolve(options.out);
      writeFileSync(path, text);
      process.stderr.write(`Wrote the configuration schema to ${path}\n`);
    });
}
