/**
 * Test/dev harness for the MiniStack AWS emulator (see /work/shared/reference/emulator.md).
 *
 * - startEmulator(): spawns the pinned MiniStack from <repo>/.emulator-venv on a free port in its
 *   own process group and waits until it is healthy.
 * - assertNoKeepAliveStall(): fails loudly if kept-alive calls stall (~44 ms each) because the
 *   emulator's sockets lack TCP_NODELAY (old hypercorn + Nagle + delayed ACK).
 * - emulatorEnv(): the environment an AWS SDK/CDK client needs to talk to the emulator.
 *
 * With `enforceIam` the emulator evaluates IAM (MiniStack's AUTH=true): the `test` key the clients
 * use is the account's root, so tests and tools keep full access, while every Lambda runs with
 * temporary credentials of its own execution role and is refused what its policies do not allow.
 * Such an emulator needs `tls` too (see tls.ts): policies that deny non-TLS requests apply.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { trustEnv, type EmulatorCertificate } from './tls';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

export interface EmulatorHandle {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether the running emulator reports IAM evaluation on (its health `auth` field). */
  readonly iamEnforced: boolean;
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  readonly port?: number;
  readonly logFile?: string;
  /** Default true: runs tools/install-emulator.sh (idempotent) before starting. */
  readonly installIfMissing?: boolean;
  /**
   * Evaluate IAM policies on every call (MiniStack's AUTH=true). The root key `test` keeps full
   * access; Lambdas run as their execution roles.
   * @default false
   */
  readonly enforceIam?: boolean;
  /**
   * Serve HTTPS with this certificate (MiniStack's USE_SSL). The calling process must already
   * trust it (NODE_EXTRA_CA_CERTS, see tls.ts): the health check and the returned `env` use it.
   * @default plain HTTP
   */
  readonly tls?: EmulatorCertificate;
}

export interface StallCheckResult {
  calls: number;
  totalMs: number;
  perCallMs: number;
}

/** tools/emulator → repo root. */
export const REPO_ROOT: string = path.resolve(__dirname, '..', '..');
export const DEFAULT_REGION = 'us-east-1';

const VENV_DIR = path.join(REPO_ROOT, '.emulator-venv');
const MINISTACK_BIN = path.join(VENV_DIR, 'bin', 'ministack');
const INSTALL_SCRIPT = path.join(REPO_ROOT, 'tools', 'install-emulator.sh');
const VERSION_FILE = path.join(REPO_ROOT, 'tools', 'emulator', 'version.txt');

const HEALTH_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 50;
const STOP_GRACE_MS = 8_000;
const STALL_CALLS = 50;
const FATAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/**
 * The stall's signature is every call waiting ~44 ms (Nagle + delayed ACK): judged on the median
 * call, so a busy machine (a slow total, a few slow calls) is not mistaken for it.
 */
const STALL_MEDIAN_LIMIT_MS = 30;

/** The MiniStack version pinned in tools/emulator/version.txt (shared with install-emulator.sh). */
export function pinnedVersion(): string {
  const version = fs.readFileSync(VERSION_FILE, 'utf8').trim();
  if (version === '') throw new Error(`${VERSION_FILE} is empty`);
  return version;
}

export function emulatorEnv(
  endpoint: string,
  region: string = DEFAULT_REGION,
  tls?: EmulatorCertificate,
): Record<string, string> {
  return {
    ...(tls !== undefined ? trustEnv(tls) : {}),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Node 20 is this project's development and CI runtime; the SDK's advance notice that future
    // releases need Node 22 would otherwise repeat in every process the tests and example start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `promise` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isErrnoCode(err: unknown, code: string): boolean {
  // Not `instanceof Error`: inside a Jest test file, Node's own errors come from another realm.
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function findFreePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function runInstallScript(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile(
      'bash',
      [INSTALL_SCRIPT],
      { cwd: REPO_ROOT, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(
              `tools/install-emulator.sh failed: ${err.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
            ),
          );
          return;
        }
        resolve();
      },
    );
  });
}

function logTail(logFile: string, maxBytes = 4_000): string {
  try {
    const { size } = fs.statSync(logFile);
    const start = Math.max(0, size - maxBytes);
    const fd = fs.openSync(logFile, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return `(could not read ${logFile}: ${errorMessage(err)})`;
  }
}

/** Sends a signal to a whole process group; false if the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (isErrnoCode(err, 'ESRCH')) return false;
    throw err;
  }
}

interface HealthBody {
  version?: unknown;
  auth?: unknown;
}

interface Health {
  readonly version: string;
  readonly iamEnforced: boolean;
}

/** One health probe: the reported version and auth mode if healthy, undefined if not (yet). */
async function probeHealth(endpoint: string): Promise<Health | undefined> {
  try {
    const res = await fetch(`${endpoint}/_ministack/health`, {
      signal: AbortSignal.timeout(1_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json()) as HealthBody;
    return { version: typeof body.version === 'string' ? body.version : 'unknown', iamEnforced: body.auth === 'enabled' };
  } catch {
    return undefined;
  }
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<EmulatorHandle> {
  const installIfMissing = options.installIfMissing ?? true;
  if (installIfMissing) {
    await runInstallScript();
  } else if (!fs.existsSync(MINISTACK_BIN)) {
    throw new Error(`MiniStack is not installed at ${MINISTACK_BIN}; run \`npm run emulator:install\``);
  }

  const port = options.port ?? (await findFreePort());
  const region = DEFAULT_REGION;
  const endpoint = `${options.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${port}`;
  const logFile =
    options.logFile ??
    path.join(os.tmpdir(), `lightbus-ministack-${port}-${randomBytes(3).toString('hex')}.log`);

  // Set true once healthy: a default (tmpdir) log is then deleted by stop(), a failed start keeps it.
  let removeLogOnStop = false;
  const logFd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(MINISTACK_BIN, [], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        GATEWAY_PORT: String(port),
        BIND_HOST: '127.0.0.1',
        // Queue URLs carry this host; it must equal the endpoint host (SDK useQueueUrlAsEndpoint).
        MINISTACK_HOST: '127.0.0.1',
        MINISTACK_REGION: region,
        // Set either way, so an AUTH in the developer's shell does not decide it.
        AUTH: options.enforceIam === true ? 'true' : 'false',
        // Lambdas call back to the emulator here (MiniStack passes it on), not to whatever
        // endpoint the parent process happens to have in its environment.
        AWS_ENDPOINT_URL: endpoint,
        ...(options.tls !== undefined
          ? { USE_SSL: '1', MINISTACK_SSL_CERT: options.tls.certFile, MINISTACK_SSL_KEY: options.tls.keyFile, ...trustEnv(options.tls) }
          : { USE_SSL: '0' }),
      },
      detached: true, // own process group, so stop() can signal everything it spawns
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    fs.closeSync(logFd);
  }

  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously-ish (e.g. ENOENT); the 'error' event carries the reason.
    let reason = 'no pid';
    await settlesWithin(
      new Promise<void>((resolve) =>
        child.once('error', (err) => {
          reason = err.message;
          resolve();
        }),
      ),
      1_000,
    );
    throw new Error(`could not spawn ${MINISTACK_BIN}: ${reason}`);
  }
  // Do not let the emulator keep the parent's event loop alive; the exit hook cleans up.
  child.unref();

  let exited = false;
  let exitDescription = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitDescription = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
      resolve();
    });
  });
  child.on('error', () => {
    /* reported through 'exit' / health timeout */
  });

  const killOnExit = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', killOnExit);
  // A fatal signal skips 'exit' handlers. If nobody else handles the signal (plain Jest, a script),
  // kill the emulator's group and re-raise so the parent still dies the default way. If someone
  // else listens (e.g. bin/emulator.js), they own shutdown and call stop().
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return;
    killOnExit();
    removeSignalHandlers();
    process.kill(process.pid, signal);
  };
  const removeSignalHandlers = (): void => {
    for (const signal of FATAL_SIGNALS) process.removeListener(signal, onSignal);
  };
  for (const signal of FATAL_SIGNALS) process.on(signal, onSignal);

  let stopPromise: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      try {
        if (!exited && signalGroup(pid, 'SIGTERM')) {
          // (A lingering timer here would keep Jest alive after teardown: clear it.)
          if (!(await settlesWithin(exitPromise, STOP_GRACE_MS))) {
            signalGroup(pid, 'SIGKILL');
            await settlesWithin(exitPromise, 2_000);
          }
        }
        // Reap anything the emulator left in its group (e.g. Lambda worker subprocesses).
        signalGroup(pid, 'SIGKILL');
        // The default tmpdir log goes once a healthy emulator is stopped; a failed start keeps it.
        if (removeLogOnStop) fs.rmSync(logFile, { force: true });
      } finally {
        process.removeListener('exit', killOnExit);
        removeSignalHandlers();
      }
    })();
    return stopPromise;
  };

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let health: Health | undefined;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(
        `MiniStack exited (${exitDescription}) before becoming healthy on port ${port}. Log ${logFile}:\n${logTail(logFile)}`,
      );
    }
    health = await probeHealth(endpoint);
    if (health !== undefined) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `MiniStack did not become healthy on ${endpoint} within ${HEALTH_TIMEOUT_MS} ms. Log ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await sleep(HEALTH_POLL_MS);
  }

  const pinned = pinnedVersion();
  const { version, iamEnforced } = health;
  if (version !== 'unknown' && version !== pinned) {
    await stop();
    throw new Error(
      `MiniStack on ${endpoint} reports version ${version}, but ${pinned} is pinned in ${VERSION_FILE}; run \`npm run emulator:install\``,
    );
  }
  if (iamEnforced !== (options.enforceIam === true)) {
    await stop();
    throw new Error(
      `MiniStack on ${endpoint} reports IAM evaluation ${iamEnforced ? 'on' : 'off'}, but enforceIam was ${String(options.enforceIam === true)}`,
    );
  }

  removeLogOnStop = options.logFile === undefined;
  return {
    endpoint,
    port,
    region,
    env: Object.freeze(emulatorEnv(endpoint, region, options.tls)),
    iamEnforced,
    stop,
  };
}

/**
 * 50 sequential SendMessage calls on one client (one kept-alive connection). Without TCP_NODELAY
 * on the emulator's sockets each call waits ~44 ms for the client's delayed ACK (Nagle), i.e.
 * ~2.2 s in total; healthy it is ~1 ms per call. Throws if the total exceeds 1 s.
 */
export async function assertNoKeepAliveStall(
  endpoint: string,
  region: string = DEFAULT_REGION,
): Promise<StallCheckResult> {
  const client = new SQSClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const created = await client.send(
      new CreateQueueCommand({ QueueName: `lightbus-stall-check-${randomBytes(4).toString('hex')}` }),
    );
    const queueUrl = created.QueueUrl;
    if (queueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
    try {
      const started = performance.now();
      const perCall: number[] = [];
      for (let i = 0; i < STALL_CALLS; i++) {
        const callStarted = performance.now();
        await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `stall-check-${i}` }));
        perCall.push(performance.now() - callStarted);
      }
      const totalMs = performance.now() - started;
      const medianMs = [...perCall].sort((a, b) => a - b)[Math.floor(perCall.length / 2)]!;
      const result: StallCheckResult = {
        calls: STALL_CALLS,
        totalMs: Math.round(totalMs * 10) / 10,
        perCallMs: Math.round((totalMs / STALL_CALLS) * 100) / 100,
      };
      if (medianMs > STALL_MEDIAN_LIMIT_MS) {
        throw new Error(
          `Emulator keep-alive stall: ${result.calls} sequential SendMessage calls on one connection took ` +
            `${result.totalMs} ms (median ${Math.round(medianMs * 10) / 10} ms/call; limit ${STALL_MEDIAN_LIMIT_MS} ms, healthy is ~1 ms/call). ` +
            `The emulator's accepted sockets probably lack TCP_NODELAY, so responses wait on Nagle + the client's ` +
            `delayed ACK (~44 ms per call). This happens with hypercorn < 0.17 (e.g. a system/Debian hypercorn): ` +
            `check the hypercorn version printed by tools/install-emulator.sh and reinstall .emulator-venv ` +
            `(see emulator.md "Speed").`,
        );
      }
      return result;
    } finally {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    }
  } finally {
    client.destroy();
  }
}

export { createEmulatorCertificate, removeEmulatorCertificate, trustEnv, type EmulatorCertificate } from './tls';
