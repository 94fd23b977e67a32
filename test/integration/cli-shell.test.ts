/** `lightbus shell`: a REPL with `bus` loaded from the bus module, top-level await included. */
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { join } from 'node:path';
import { testEnvironment, uniqueName } from '../support/aws';
import { killAllCli, REPO_ROOT, runCli } from '../support/cli';

const env = testEnvironment();
const events = new EventBridgeClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });
const CUSTOMERS_BUS = join(REPO_ROOT, 'examples', 'customers', 'bus.ts');

afterEach(killAllCli);
afterAll(() => events.destroy());

describe('lightbus shell', () => {
  it('evaluates piped lines in order, with top-level await against the real bus', async () => {
    const busName = uniqueName('shell');
    await events.send(new CreateEventBusCommand({ Name: busName }));
    try {
      const script = [
        'bus.settings.busName',
        "const sent = await bus.customers.newCustomer.fire({ customerName: 'Ada', email: 'ada@example.com', initialPassword: 'correct-horse' })",
        // Read on the next line: only right if the previous line's await had finished.
        "`fired ${sent.api}.${sent.event} ${sent.id.length}`",
        'await bus.customers.newCustomer.fire({ customerName: "" }).catch((e) => e.name)',
        '',
      ].join('\n');
      const result = await runCli(['shell', '--local', '--bus', CUSTOMERS_BUS, '--bus-name', busName, '--log-level', 'warn'], {}, script);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`'${busName}'`);
      expect(result.stdout).toContain("'fired customers.newCustomer 36'");
      expect(result.stdout).toContain("'ValidationError'");
    } finally {
      await events.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
    }
  });

  it('fails with an error on stderr when the bus module is missing', async () => {
    const result = await runCli(['shell', '--bus', 'no/such/bus.ts'], {}, '');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/lightbus: ConfigurationError: The bus module .*no\/such\/bus\.ts does not exist \(from --bus\)/);
  });
});
