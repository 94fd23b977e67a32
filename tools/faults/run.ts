/**
 * The fault suite (`npm run faults`): reproduces issue #10's faults against real worker processes
 * (`lightbus run --local`) and its own emulator, then prints the fault table. Exits non-zero unless
 * every count is 0. `npm run faults -- <word>` runs only the scenarios whose name contains it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS } from '../../test/faults/scenarios';
import { emulatorEnv, startEmulator } from '../emulator';
import { ScenarioContext } from './context';
import { allZero, renderTable, type Row } from './table';
import { killAll } from './workers';

async function main(): Promise<number> {
  const filter = process.argv[2];
  const scenarios = SCENARIOS.filter((s) => !filter || s.name.includes(filter));
  const started = Date.now();
  const emulator = await startEmulator();
  const env = emulatorEnv(emulator.endpoint, emulator.region);
  Object.assign(process.env, env);
  const workDir = mkdtempSync(join(tmpdir(), 'lightbus-faults-'));
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      const begun = Date.now();
      process.stdout.write(`… ${scenario.name}\n`);
      const ctx = new ScenarioContext(workDir, env);
      let error: string | undefined;
      try {
        await scenario.run(ctx);
      } catch (e) {
        error = (e as Error).stack ?? String(e);
      }
      const tally = await ctx.finish().catch((e: unknown) => {
        error ??= String(e);
        return undefined;
      });
      rows.push({ name: scenario.name, tally, seconds: (Date.now() - begun) / 1000, ...(error !== undefined ? { error } : {}) });
    }
  } finally {
    await killAll();
    await emulator.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${renderTable(rows)}\n\nfault suite: ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
  return allZero(rows) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fault suite failed to run: ${(error as Error).stack ?? String(error)}\n`);
    void killAll().finally(() => process.exit(2));
  },
);
