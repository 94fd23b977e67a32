/** Jest globalTeardown of the package tests: the emulator, and the tarball global-setup.ts packed. */
import { rmSync } from 'node:fs';
import emulatorTeardown from '../../support/global-teardown';

export default async function globalTeardown(): Promise<void> {
  const packed = process.env.LIGHTBUS_PACKAGE_TARBALL_TEMP;
  if (packed) rmSync(packed, { recursive: true, force: true });
  await emulatorTeardown();
}
