/**
 * Jest globalSetup: one MiniStack emulator for the whole run.
 * process.env set here is inherited by the test workers Jest spawns afterwards.
 */
import {
  assertNoKeepAliveStall,
  emulatorEnv,
  startEmulator,
  type EmulatorHandle,
} from '../../tools/emulator';

declare global {
  // Read back by global-teardown.ts (globalSetup and globalTeardown share this context).
  // eslint-disable-next-line no-var
  var __LIGHTBUS_TEST_EMULATOR__: EmulatorHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Set before the first SDK client exists (see emulatorEnv for why).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const emulator = await startEmulator();
  globalThis.__LIGHTBUS_TEST_EMULATOR__ = emulator;
  try {
    // Fails the run loudly if kept-alive calls stall (see emulator.md "Speed").
    await assertNoKeepAliveStall(emulator.endpoint, emulator.region);
  } catch (err) {
    await emulator.stop();
    globalThis.__LIGHTBUS_TEST_EMULATOR__ = undefined;
    throw err;
  }
  Object.assign(process.env, emulatorEnv(emulator.endpoint, emulator.region));
  process.env.LIGHTBUS_TEST_EMULATOR_ENDPOINT = emulator.endpoint;
}
