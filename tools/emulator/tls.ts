/**
 * A throwaway TLS certificate for an emulator that must be reached over HTTPS.
 *
 * Why: with IAM enforced, policies are evaluated as on AWS, and the project's queues and the CDK
 * bootstrap bucket carry policies that deny any request not made over TLS (`enforceSSL`,
 * aws:SecureTransport). On AWS every call is HTTPS; on the emulator it must be too.
 *
 * Node processes trust the certificate through NODE_EXTRA_CA_CERTS (read once at process start,
 * so a parent sets it before it spawns them); Python's botocore through AWS_CA_BUNDLE.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface EmulatorCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Creates a self-signed certificate for 127.0.0.1 and localhost in a new temporary directory. */
export function createEmulatorCertificate(): EmulatorCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightbus-emulator-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30',
    '-subj', '/CN=lightbus-test-emulator',
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext', 'extendedKeyUsage=serverAuth',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { certFile, keyFile };
}

/** Removes a certificate made by createEmulatorCertificate (its whole directory). */
export function removeEmulatorCertificate(certificate: EmulatorCertificate): void {
  fs.rmSync(path.dirname(certificate.certFile), { recursive: true, force: true });
}

/** The environment that makes Node and Python clients trust the certificate. */
export function trustEnv(certificate: EmulatorCertificate): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: certificate.certFile, AWS_CA_BUNDLE: certificate.certFile };
}
