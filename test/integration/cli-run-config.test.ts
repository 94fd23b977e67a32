/** `lightbus run --config`: the worker takes its settings from the file, and a bad file stops it at start-up. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '../support/aws';
import { jsonLines, killAllCli, REPO_ROOT, runCli, startCli } from '../support/cli';

const CUSTOMERS_BUS = join(REPO_ROOT, 'examples', 'customers', 'bus.ts');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lightbus-run-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(killAllCli);

describe('lightbus run --config', () => {
  it('uses the bus name and log level from the file; --log-level beats it', async () => {
    const busName = uniqueName('runcfg');
    const config = join(dir, 'lightbus.yaml');
    writeFileSync(config, `bus:\n  name: ${busName}\n  logLevel: error\napis:\n  default:\n    rpcTimeout: 2s\n`);
    const cli = startCli(['run', '--local', '--bus', CUSTOMERS_BUS, '--config', config, '--log-level', 'info']);
    const started = await cli.waitForLine('stderr', (line) => line.includes('"Worker started"'));
    expect(JSON.parse(started)).toMatchObject({ bus: busName, service: 'customers' });
    const loading = jsonLines(cli.stderr()).find((l) => l.message === 'Loading bus module');
    expect(loading).toMatchObject({ config });
    // The customers service has nothing to poll, yet the worker runs until it is told to stop.
    await new Promise((r) => setTimeout(r, 1000));
    expect(cli.child.exitCode).toBeNull();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('exits non-zero with the key and the allowed values when the file is invalid', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'apis:\n  default:\n    transports:\n      rpc: rabbitmq\n');
    const result = await runCli(['run', '--local', '--bus', CUSTOMERS_BUS, '--config', config]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`lightbus: ConfigurationError: Invalid configuration in ${config}:`);
    expect(result.stderr).toContain('apis.default.transports.rpc: rpc transport "rabbitmq" is not supported; allowed: sqs');
  });
});
