/** `lightbus inspect` filters with wildcards (EventBridge `wildcard` patterns), and --since (history replayed into its temporary rule). */
import { lightbus, silentLogger, z, type Bus } from '../../runtime';
import { provisionTopology } from '../../local/provision';
import { mathApi } from '../support/apis';
import { jsonLines, killAllCli, runCli, startCli } from '../support/cli';
import { stopAll, testBusOptions, track } from '../support/bus';

const loginsApi = lightbus.api('audit.logins', { events: { failed: lightbus.event({ parameters: { user: z.string() } }) } });
const paymentsApi = lightbus.api('audit.payments', { events: { refunded: lightbus.event({ parameters: { amount: z.number() } }) } });

afterEach(async () => {
  await killAllCli();
  await stopAll();
});

type AuditBus = Bus<readonly [typeof loginsApi, typeof paymentsApi, typeof mathApi]>;

/** A service that owns the audit APIs and math, with its bus (and history archive) provisioned. */
async function auditBus(): Promise<AuditBus> {
  const bus: AuditBus = track(lightbus.create(testBusOptions({ serviceName: 'auditsvc', apis: [loginsApi, paymentsApi, mathApi] })));
  bus.register(loginsApi, {});
  bus.register(paymentsApi, {});
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
  return bus;
}

describe('lightbus inspect: wildcards and --since', () => {
  it("--api 'audit.*' shows the events of every API under audit, and no others", async () => {
    const bus = await auditBus();
    const cli = startCli(['inspect', '--local', '--bus-name', bus.settings.busName, '--api', 'audit.*', '--format', 'json', '--duration', '4s']);
    await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'));
    const login = await bus.audit.logins.failed.fire({ user: 'ada' });
    const refund = await bus.audit.payments.refunded.fire({ amount: 5 });
    const other = await bus.math.happened.fire({ n: 1 });
    await cli.waitForLine('stdout', (line) => line.includes(refund.id));
    expect((await cli.exited).code).toBe(0);
    const shown = jsonLines(cli.stdout()).map((e) => e.id);
    expect(shown).toEqual(expect.arrayContaining([login.id, refund.id]));
    expect(shown).not.toContain(other.id);
  });

  it("--event 'math.hap*' matches event names by wildcard; a filter that is neither a name nor a pattern is refused", async () => {
    const bus = await auditBus();
    const cli = startCli(['inspect', '--local', '--bus-name', bus.settings.busName, '--event', 'math.hap*', '--format', 'json', '--duration', '4s']);
    await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'));
    const happened = await bus.math.happened.fire({ n: 2 });
    const login = await bus.audit.logins.failed.fire({ user: 'bob' });
    await cli.waitForLine('stdout', (line) => line.includes(happened.id));
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout()).not.toContain(login.id);

    const refused = await runCli(['inspect', '--local', '--bus-name', bus.settings.busName, '--api', 'audit/x', '--duration', '1s']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--api: "audit/x" is neither a name nor a pattern');
  });

  it('--since shows events fired before it started, once, from the history archive', async () => {
    const bus = await auditBus();
    const earlier = await bus.math.happened.fire({ n: 42, label: 'before inspect' });
    const cli = startCli(['inspect', '--local', '--bus-name', bus.settings.busName, '--api', 'math', '--since', '5m', '--format', 'json', '--duration', '5s']);
    await cli.waitForLine('stdout', (line) => line.includes(earlier.id));
    expect((await cli.exited).code).toBe(0);
    expect(jsonLines(cli.stdout()).filter((e) => e.id === earlier.id)).toHaveLength(1);
    expect(jsonLines(cli.stderr()).some((l) => l.message === 'Replaying history into the temporary rule')).toBe(true);

    const bad = await runCli(['inspect', '--local', '--bus-name', bus.settings.busName, '--since', 'a while', '--duration', '1s']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since: "a while" is not a time');
  });
});
