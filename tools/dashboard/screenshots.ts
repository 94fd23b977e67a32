/**
 * `npm run docs:screenshots`: regenerates docs/images/dashboard-*.png. Starts its own emulator,
 * runs the founding example's services in this process (auth's worker, customers firing) plus a
 * listener that fails (for a dead letter), opens the dashboard in headless chromium
 * (LIGHTBUS_BROWSER, default /usr/bin/chromium) and photographs each view.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { chromium } from 'playwright-core';
import { emulatorEnv, startEmulator, REPO_ROOT } from '../emulator';

const OUT = join(REPO_ROOT, 'docs', 'images');
const BROWSER = process.env.LIGHTBUS_BROWSER ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const emulator = await startEmulator();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    Object.assign(process.env, emulatorEnv(emulator.endpoint), { LIGHTBUS_BUS_NAME: 'shop', LIGHTBUS_LOG_LEVEL: 'error' });
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { create, silentLogger } = require('../../runtime') as typeof import('../../runtime');
    const { LightbusWorker } = require('../../local') as typeof import('../../local');
    const { startDashboard } = require('../../local/dashboard') as typeof import('../../local/dashboard');
    const auth = require('../../examples/auth/bus') as typeof import('../../examples/auth/bus');
    const customers = (require('../../examples/customers/bus') as typeof import('../../examples/customers/bus')).bus;
    const { customersApi } = require('../../examples/customers/api') as typeof import('../../examples/customers/api');
    const { ensureUsersTable } = require('../../examples/auth/users') as typeof import('../../examples/auth/users');
    const { usersTableName } = require('../../examples/auth/users-table') as typeof import('../../examples/auth/users-table');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const dynamo = new DynamoDBClient({});
    await ensureUsersTable(dynamo, usersTableName('shop'));
    dynamo.destroy();

    const { assertApiOwnership } = require('../../local/api-ownership') as typeof import('../../local/api-ownership'); // eslint-disable-line @typescript-eslint/no-require-imports
    const start = async (bus: ConstructorParameters<typeof LightbusWorker>[0]) => {
      // As `lightbus run` does: the service records that it owns the APIs it serves.
      await assertApiOwnership(bus, { provision: true });
      const worker = new LightbusWorker(bus, { provision: true, waitTimeSeconds: 1 });
      await worker.start();
      stops.unshift(() => worker.stop());
    };
    await start(customers);
    await start(auth.bus);
    const audit = create({ busName: 'shop', serviceName: 'audit', apis: [customersApi], logger: silentLogger });
    audit.customers.newCustomer.listen(
      (_event, { email }) => {
        if (email.startsWith('grace')) throw new Error('audit store unavailable');
      },
      { listenerName: 'recordSignup', maxReceives: 1, retryDelaySeconds: 0 },
    );
    await start(audit);

    const viewer = create({ busName: 'shop', logger: silentLogger });
    const dashboard = await startDashboard({ bus: viewer, aws: viewer.settings.aws, endpointLabel: emulator.endpoint, logger: silentLogger, knownApis: auth.bus.registry.knownApis });
    stops.unshift(() => dashboard.close());

    const people = [
      ['Ada Lovelace', 'ada@example.com'],
      ['Grace Hopper', 'grace@example.com'],
      ['Alan Turing', 'alan@example.com'],
    ] as const;
    for (const [customerName, email] of people) await customers.customers.newCustomer.fire({ customerName, email, initialPassword: 'correct-horse-battery' });
    await sleep(3000);
    await auth.bus.auth.checkPassword({ username: 'ada@example.com', password: 'correct-horse-battery' });
    await auth.bus.auth.checkPassword({ username: 'alan@example.com', password: 'wrong-password' });
    await auth.bus.auth.createUser({ username: 'ada@example.com', password: 'x' }).catch(() => undefined);
    await sleep(2000);

    const browser = await chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'] });
    stops.unshift(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    mkdirSync(OUT, { recursive: true });
    const shot = async (name: string) => {
      await sleep(400);
      await page.screenshot({ path: join(OUT, `dashboard-${name}.png`), fullPage: true });
      process.stdout.write(`wrote docs/images/dashboard-${name}.png\n`);
    };
    await page.goto(`${dashboard.url}/#/services`);
    await page.locator('[data-api="auth"] [data-member="createUser"]').waitFor();
    await page.locator('[data-api="auth"] [data-member="createUser"] summary').click();
    await shot('services');
    await page.goto(`${dashboard.url}/#/traffic`);
    await page.locator('tr.row.call[data-name="auth.createUser"]').first().waitFor();
    await page.locator('tr.row.call[data-name="auth.createUser"]').first().click();
    await shot('traffic');
    let traced = dashboard.dashboard.traffic({}).find((item) => item.traceId !== undefined);
    if (traced === undefined) {
      // This build's clients send no trace context yet: send one event as a traced client would
      // (a top-level traceparent in the detail, docs/wire-format.md), so the view has something to show.
      process.stdout.write('no trace context from the clients in this build: firing one event with a traceparent for the trace view\n');
      const traceId = randomBytes(16).toString('hex');
      const detail = { v: 1, kind: 'lightbus.event', id: `trace-demo-${Date.now()}`, api: 'customers', event: 'newCustomer', parameters: { customerName: 'Traced Customer', email: 'traced@example.com', initialPassword: 'correct-horse-battery' }, firedAt: new Date().toISOString(), sender: { service: 'customers' }, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
      const events = new EventBridgeClient({});
      await events.send(new PutEventsCommand({ Entries: [{ EventBusName: 'shop', Source: 'lightbus.customers', DetailType: 'customers.newCustomer', Detail: JSON.stringify(detail) }] }));
      events.destroy();
      await sleep(3000);
      traced = dashboard.dashboard.traffic({}).find((item) => item.traceId === traceId);
    }
    if (traced?.traceId) {
      await page.goto(`${dashboard.url}/#/trace/${traced.traceId}`);
      await page.locator('.trace tr.step').first().waitFor();
      await shot('trace');
    }
    await page.goto(`${dashboard.url}/#/dead-letters`);
    await page.locator('tr.letter').first().waitFor({ timeout: 20_000 });
    await page.locator('button.redrive').first().click();
    await shot('dead-letters');
    await page.goto(`${dashboard.url}/#/map`);
    await page.locator('svg.bus-map .service').first().waitFor();
    await shot('map');
    stops.push(() => customers.close(), () => auth.bus.close(), () => audit.close(), () => viewer.close());
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    await emulator.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`docs:screenshots failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
