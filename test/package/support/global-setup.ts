/**
 * Jest globalSetup of the package tests: the emulator (as for the rest of the suite), then the
 * tarball a user would install: `npm pack`, whose prepack runs `npm run build`. Set
 * LIGHTBUS_PACKAGE_TARBALL to test an existing tarball instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import emulatorSetup from '../../support/global-setup';

const REPO_ROOT = join(__dirname, '..', '..', '..');

export default async function globalSetup(): Promise<void> {
  await emulatorSetup();
  if (process.env.LIGHTBUS_PACKAGE_TARBALL) return;
  const destination = mkdtempSync(join(tmpdir(), 'lightbus-pack-'));
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // prepack's build output comes first on stdout; the JSON report is the last thing npm prints.
  const report = JSON.parse(output.slice(output.lastIndexOf('\n[') + 1)) as Array<{ filename: string }>;
  process.env.LIGHTBUS_PACKAGE_TARBALL = join(destination, report[0]!.filename);
  process.env.LIGHTBUS_PACKAGE_TARBALL_TEMP = destination;
}
