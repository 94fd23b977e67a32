/**
 * The founding example, end to end, on a fresh machine (`npm run example`):
 *  1. installs (if needed) and starts the MiniStack emulator on a free port,
 *  2. creates auth's users table, runs the auth service's worker with `lightbus run --local`,
 *  3. fires customers.newCustomer from the customers service,
 *  4. waits for auth's listener to call auth.createUser, calls auth.checkPassword,
 *  5. stops the worker with SIGTERM and the emulator, and exits 0 (1 on any failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { emulatorEnv, startEmulator, assertNoKeepAliveStall, REPO_ROOT, type EmulatorHandle } from '../tools/emulator';
import { ensureUsersTable } from './auth/users';
import { usersTableName } from './auth/users-table';

const WORKER_START_TIMEOUT_MS = 30_000;
const USER_CREATION_TIMEOUT_MS = 20_000;

function say(message: string): void {
  process.stdout.write(`\x1b[1m[example]\x1b[0m ${message}\n`);
}

function startAuthWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'lightbus.js'), 'run', '--local', '--bus', join(REPO_ROOT, 'examples', 'auth', 'bus.ts')],
    { env: { ...process.env, ...env, LIGHTBUS_LOG_FORMAT: 'pretty', LIGHTBUS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the auth worker did not start in time')), WORKER_START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        process.stdout.write(`  \x1b[2m[auth worker]\x1b[0m ${line}\n`);
        if (line.includes('Worker started')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the auth worker exited early with code ${code}`));
    });
  });
  return { child, ready };
}

function stopWorker(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  say('Starting the MiniStack emulator (installed into .emulator-venv on first run)...');
  const emulator: EmulatorHandle = await startEmulator();
  let worker: ChildProcess | undefined;
  try {
    const env = emulatorEnv(emulator.endpoint);
    // This process only calls and fires: keep its own logs to warnings so the worker's show.
    Object.assign(process.env, env, { LIGHTBUS_LOG_LEVEL: 'warn' });
    const stall = await assertNoKeepAliveStall(emulator.endpoint);
    say(`Emulator up at ${emulator.endpoint} (no keep-alive stall: ${stall.perCallMs.toFixed(1)} ms per call)`);

    // Imported only now, so both bus clients pick up the emulator's environment.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { bus: customers } = require('./customers/bus') as typeof import('./customers/bus');
    const { bus: auth } = require('./auth/bus') as typeof import('./auth/bus');
    /* eslint-enable @typescript-eslint/no-require-imports */

    // The users table is auth's own, not part of the bus: `lightbus run --local` provisions the
    // bus's queues and table, the app provisions its own (on AWS, the CDK example's auth stack).
    const usersTable = usersTableName(auth.settings.busName);
    const dynamo = new DynamoDBClient({});
    try {
      await ensureUsersTable(dynamo, usersTable);
    } finally {
      dynamo.destroy();
    }
    say(`Users table ${usersTable} ready`);

    say('Starting the auth worker: lightbus run --local --bus examples/auth/bus.ts');
    const started = startAuthWorker(env);
    worker = started.child;
    await started.ready;

    const email = `ada-${Date.now()}@example.com`;
    const password = 'correct-horse-battery';
    const sent = await customers.customers.newCustomer.fire({ customerName: 'Ada Lovelace', email, initialPassword: password });
    say(`Fired customers.newCustomer (id ${sent.id})`);

    // The listener in the worker calls auth.createUser; poll checkPassword until the user exists.
    const deadline = Date.now() + USER_CREATION_TIMEOUT_MS;
    let valid = false;
    while (!valid && Date.now() < deadline) {
      valid = await auth.auth.checkPassword({ username: email, password });
      if (!valid) await new Promise((r) => setTimeout(r, 200));
    }
    say(`auth.checkPassword({ username: '${email}', password: '${password}' }) → ${valid}`);
    if (!valid) throw new Error('the listener did not create the user in time');
    const wrong = await auth.auth.checkPassword({ username: email, password: 'not-the-password' });
    say(`auth.checkPassword({ username: '${email}', password: 'not-the-password' }) → ${wrong}`);
    if (wrong) throw new Error('checkPassword accepted a wrong password');

    await customers.close();
    await auth.close();
    say('Stopping the worker with SIGTERM...');
    const code = await stopWorker(worker);
    worker = undefined;
    if (code !== 0) throw new Error(`the worker exited with code ${code} (expected 0)`);
    say('Worker stopped cleanly. Example complete.');
  } finally {
    if (worker) await stopWorker(worker);
    await emulator.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`[example] FAILED: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
