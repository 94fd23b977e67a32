/** Jest globalTeardown: stops the emulator started by global-setup.ts. */
import type { EmulatorHandle } from '../../tools/emulator';

export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as { __LIGHTBUS_TEST_EMULATOR__?: EmulatorHandle };
  const emulator = slot.__LIGHTBUS_TEST_EMULATOR__;
  slot.__LIGHTBUS_TEST_EMULATOR__ = undefined;
  if (emulator !== undefined) await emulator.stop();
}
