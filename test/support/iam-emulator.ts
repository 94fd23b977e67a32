/**
 * A second emulator, with IAM enforced (MiniStack AUTH=true) and served over TLS, for the tests
 * that prove least privilege by calls (test/e2e/cdk-deploy.test.ts). The rest of the suite keeps
 * the plain emulator of global-setup.ts: IAM evaluation and TLS cost every call, and only deployed
 * functions (which run as their execution roles) are affected by enforcement anyway.
 *
 * TLS because enforcement applies every policy, including the project's `enforceSSL` queue
 * policies and the CDK bootstrap bucket's, which deny requests not made over TLS (as on AWS).
 *
 * Call from a test file's beforeAll: it points this file's process.env (Jest gives each test file
 * its own copy) at the new emulator, so SDK clients, the CDK CLI and helpers created afterwards use
 * it. The `test` key stays the account root (full access); the functions run as their roles.
 */
import * as fs from 'node:fs';
import type * as tlsTypes from 'node:tls';
import {
  assertNoKeepAliveStall,
  createEmulatorCertificate,
  removeEmulatorCertificate,
  startEmulator,
  type EmulatorCertificate,
  type EmulatorHandle,
} from '../../tools/emulator';

export async function startIamEmulator(): Promise<EmulatorHandle> {
  const certificate = createEmulatorCertificate();
  trustInThisProcess(certificate);
  let emulator: EmulatorHandle;
  try {
    emulator = await startEmulator({ enforceIam: true, tls: certificate, installIfMissing: false });
  } catch (error) {
    removeEmulatorCertificate(certificate);
    throw error;
  }
  const stop = async (): Promise<void> => {
    try {
      await emulator.stop();
    } finally {
      removeEmulatorCertificate(certificate);
    }
  };
  try {
    await assertNoKeepAliveStall(emulator.endpoint, emulator.region);
  } catch (error) {
    await stop();
    throw error;
  }
  // emulator.env carries NODE_EXTRA_CA_CERTS, so processes this file spawns (the CDK CLI) trust it.
  Object.assign(process.env, emulator.env);
  process.env.LIGHTBUS_TEST_EMULATOR_IAM = emulator.iamEnforced ? 'enforced' : 'off';
  return { ...emulator, stop };
}

// The module object itself (an `import * as` namespace is a read-only copy), to patch connect on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tls = require('node:tls') as typeof tlsTypes & { __lightbusTrustPatched?: boolean; __lightbusTrusted?: Set<string> };
// On the tls module itself, not in this module: Jest loads this file afresh for each test file, while
// node:tls (and the patch below) is one per worker process; a second file's certificate must reach
// the patch the first file installed.
const trusted = (tls.__lightbusTrusted ??= new Set<string>());

/**
 * Makes this (already running) process trust the certificate, as NODE_EXTRA_CA_CERTS would have
 * at its start (Node 20 has no tls.setDefaultCACertificates): TLS connections that name no CA of
 * their own — the SDK's agents, fetch — get Node's roots plus the certificate.
 */
function trustInThisProcess(certificate: EmulatorCertificate): void {
  trusted.add(fs.readFileSync(certificate.certFile, 'utf8'));
  if (tls.__lightbusTrustPatched) return;
  const connect = tls.connect;
  const withTrust = (options: tlsTypes.ConnectionOptions): tlsTypes.ConnectionOptions =>
    options.ca === undefined && options.secureContext === undefined ? { ...options, ca: [...tls.rootCertificates, ...trusted] } : options;
  (tls as { connect: unknown }).connect = function connectTrusting(this: unknown, ...args: unknown[]) {
    const index = args.findIndex((a) => typeof a === 'object' && a !== null);
    if (index >= 0) args[index] = withTrust(args[index] as tlsTypes.ConnectionOptions);
    return (connect as (...a: unknown[]) => tlsTypes.TLSSocket).apply(this, args);
  };
  tls.__lightbusTrustPatched = true;
}
