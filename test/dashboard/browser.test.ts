/**
 * The dashboard in a real headless browser (Debian's chromium driven by playwright-core) against
 * the emulator, with the founding example's services running in this process: the page lists the
 * example's APIs, shows a customers.newCustomer event reaching auth's listener and the
 * auth.createUser call that listener made (as one trace, once trace context is on the wire), and
 * redrives a dead-lettered message after confirming.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { chromium, type Browser, type Page } from 'playwright-core';
import { create, type BusClient } from '../../runtime';
import { silentLogger } from '../../runtime/logging';
import { assertApiOwnership } from '../../local/api-ownership';
import { startDashboard, type RunningDashboard, type TrafficItem } from '../../local/dashboard';
import { uniqueName } from '../support/aws';
import { eventually, startWorker, stopAll, track } from '../support/bus';

const BROWSER = process.env.LIGHTBUS_BROWSER ?? '/usr/bin/chromium';
const busName = uniqueName('dash');

let browser: Browser;
let page: Page;
let dashboard: RunningDashboard;
let customers: typeof import('../../examples/customers/bus')['bus'];
let flakyBroken = true;
const flakyHandled: string[] = [];

beforeAll(async () => {
  if (!existsSync(BROWSER)) throw new Error(`No browser at ${BROWSER}: run tools/browser/install.sh, or set LIGHTBUS_BROWSER.`);
  // The example's bus modules read their bus name from the environment when they are imported.
  process.env.LIGHTBUS_BUS_NAME = busName;
  process.env.LIGHTBUS_LOG_LEVEL = 'error';
  /* eslint-disable @typescript-eslint/no-require-imports */
  const auth = require('../../examples/auth/bus') as typeof import('../../examples/auth/bus');
  const { ensureUsersTable } = require('../../examples/auth/users') as typeof import('../../examples/auth/users');
  const { usersTableName } = require('../../examples/auth/users-table') as typeof import('../../examples/auth/users-table');
  customers = require('../../examples/customers/bus').bus;
  const { customersApi } = require('../../examples/customers/api') as typeof import('../../examples/customers/api');
  /* eslint-enable @typescript-eslint/no-require-imports */
  track(auth.bus);
  track(customers);
  const dynamo = new DynamoDBClient({});
  await ensureUsersTable(dynamo, usersTableName(busName));
  dynamo.destroy();
  // As `lightbus run` does: the service records that it owns the APIs it serves.
  await assertApiOwnership(auth.bus, { provision: true });
  await startWorker(auth.bus);

  // A second service whose listener fails until told otherwise: its message is dead-lettered.
  const audit = track(create({ busName, serviceName: 'audit', apis: [customersApi], logger: silentLogger }));
  audit.customers.newCustomer.listen(
    (_event, { email }) => {
      if (flakyBroken) throw new Error('audit store unavailable');
      flakyHandled.push(email);
    },
    { listenerName: 'recordSignup', maxReceives: 1, retryDelaySeconds: 0 },
  );
  await startWorker(audit);

  const viewer: BusClient = track(create({ busName, logger: silentLogger }));
  dashboard = await startDashboard({
    bus: viewer,
    aws: viewer.settings.aws,
    endpointLabel: process.env.AWS_ENDPOINT_URL ?? 'emulator',
    logger: silentLogger,
    knownApis: auth.bus.registry.knownApis,
    eventReceivers: 1,
  });
  browser = await chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'] });
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await stopAll();
});

function itemsOf(kind: TrafficItem['kind'], name: string): TrafficItem[] {
  return dashboard.dashboard.traffic({ kind }).filter((item) => `${item.api}.${item.name}` === name);
}

describe('lightbus dashboard in a browser', () => {
  it("lists the example's APIs with their owner, published schemas and listeners", async () => {
    await page.goto(`${dashboard.url}/#/services`);
    await page.locator('[data-api="auth"]').waitFor();
    await page.locator('[data-api="customers"]').waitFor();
    expect(await page.locator('[data-api="auth"] .owner').textContent()).toBe('owner: auth');
    // auth's worker published its schema: its procedures are listed.
    await page.locator('[data-api="auth"] [data-member="createUser"]').waitFor();
    await page.locator('[data-api="auth"] [data-member="checkPassword"]').waitFor();
    // Its listener of customers.newCustomer shows under the customers API.
    await page.locator('[data-api="customers"] [data-listener="createUserForCustomer"]').waitFor();
  });

  it('shows a customers.newCustomer event reaching the listener and the auth.createUser call it made, as one trace', async () => {
    await page.goto(`${dashboard.url}/#/traffic`);
    await page.locator('.feeds').waitFor();
    const email = `ada-${Date.now()}@example.com`;
    const sent = await customers.customers.newCustomer.fire({ customerName: 'Ada Lovelace', email, initialPassword: 'correct-horse-battery' });

    const eventRow = page.locator(`tr.row[data-kind="event"][data-id="${sent.id}"]`);
    await eventRow.waitFor({ timeout: 20_000 });
    await eventRow.click();
    const detail = page.locator(`[data-detail="${sent.id}"]`);
    await detail.locator('code.routed', { hasText: 'auth/createUserForCustomer' }).waitFor();

    // The listener's call: filtered by its parameter value, it is the one for this customer.
    await page.fill('input[name="param"]', `username=${email}`);
    const callRow = page.locator('tr.row[data-kind="call"][data-name="auth.createUser"]');
    await callRow.waitFor({ timeout: 20_000 });
    await page.locator('tr.row.call.ok[data-name="auth.createUser"]').waitFor({ timeout: 20_000 });
    await callRow.click();
    await page.locator('.detail .latency').waitFor();
    expect(await page.locator('.detail pre.result').textContent()).toContain('"created": true');

    // One trace: the event and the call its listener made carry one trace id (traceparent on the wire).
    const event = itemsOf('event', 'customers.newCustomer').find((item) => item.id === sent.id)!;
    const call = itemsOf('call', 'auth.createUser').find((item) => item.parameters?.username === email)!;
    expect(call).toBeDefined();
    expect(event.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(call.traceId).toBe(event.traceId);
    await page.goto(`${dashboard.url}/#/trace/${event.traceId}`);
    await page.locator('.trace tr.step[data-name="customers.newCustomer"]').waitFor();
    await page.locator('.trace tr.step[data-name="auth.createUser"]').waitFor();
    const steps = await page.locator('.trace tr.step').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(steps.indexOf('customers.newCustomer')).toBeLessThan(steps.indexOf('auth.createUser'));
  });

  it('opens the trace of an event that carries the agreed traceparent field', async () => {
    // Sent as a traced client sends it (a top-level traceparent in the detail), whatever this
    // build's clients do: the page must group by its trace id and show where the event went.
    const traceId = randomBytes(16).toString('hex');
    const id = `traced-${Date.now()}`;
    const detail = {
      v: 1, kind: 'lightbus.event', id, api: 'customers', event: 'newCustomer',
      parameters: { customerName: 'Traced', email: `traced-${Date.now()}@example.com`, initialPassword: 'correct-horse-battery' },
      firedAt: new Date().toISOString(), sender: { service: 'customers' }, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    };
    const events = new EventBridgeClient({});
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'lightbus.customers', DetailType: 'customers.newCustomer', Detail: JSON.stringify(detail) }] }));
    events.destroy();
    await eventually(() => itemsOf('event', 'customers.newCustomer').some((item) => item.id === id), 20_000, 'the traced event');
    await page.goto(`${dashboard.url}/#/traffic`);
    await page.fill('input[name="param"]', ''); // the filter of the test before
    await page.locator(`tr.row[data-id="${id}"]`).click();
    await page.locator(`[data-detail="${id}"] a.trace-link`).click();
    await page.locator(`.trace[data-trace="${traceId}"] tr.step[data-name="customers.newCustomer"]`).waitFor();
    expect(await page.locator('.trace tr.step').first().textContent()).toContain('createUserForCustomer');
  });

  it('redrives a dead-lettered message after confirming', async () => {
    // The event above failed in audit's listener (maxReceives 1): it is in that listener's dead-letter queue.
    // (So did the traced one: two dead letters.)
    const queue = `${busName}-listen-audit-recordSignup-dlq`;
    await eventually(async () => (await dashboard.dashboard.deadLetters(queue).catch(() => undefined))?.messages.length === 2, 20_000, 'two dead letters');
    await page.goto(`${dashboard.url}/#/dead-letters`);
    const card = page.locator(`[data-queue="${queue}"]`);
    await card.locator('tr.letter').first().waitFor();
    expect(await card.locator('td.cause').first().textContent()).toContain('audit store unavailable');

    flakyBroken = false;
    await card.locator('button.redrive').click();
    // Nothing moves before confirming.
    await card.locator('.confirm').waitFor();
    expect(flakyHandled).toEqual([]);
    await card.locator('button.confirm-redrive').click();
    await card.locator('.report', { hasText: 'Moved 2 message(s) back' }).waitFor({ timeout: 20_000 });
    await eventually(() => flakyHandled.length === 2, 20_000, 'the redriven events to be handled');
  });
});
