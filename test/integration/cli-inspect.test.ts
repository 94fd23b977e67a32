/**
 * `lightbus inspect`: shows fired events through a temporary rule and queue, filters them, and
 * removes both when it exits (on SIGINT with --follow, or after --duration).
 */
import { CreateEventBusCommand, DeleteEventBusCommand, EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { lightbus, silentLogger, type Bus } from '../../runtime';
import { mathApi } from '../support/apis';
import { testEnvironment, uniqueName } from '../support/aws';
import { jsonLines, killAllCli, runCli, startCli } from '../support/cli';

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const events = new EventBridgeClient(clientConfig);
const sqs = new SQSClient(clientConfig);
const buses: string[] = [];
const clients: Bus<readonly [typeof mathApi]>[] = [];

afterEach(killAllCli);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const name of buses) await events.send(new DeleteEventBusCommand({ Name: name })).catch(() => undefined);
  events.destroy();
  sqs.destroy();
});

/** A bus with its event bus created, and a client authoritative for the math API. */
async function mathBus(): Promise<{ busName: string; bus: Bus<readonly [typeof mathApi]> }> {
  const busName = uniqueName('inspect');
  await events.send(new CreateEventBusCommand({ Name: busName }));
  buses.push(busName);
  const bus = lightbus.create({ busName, serviceName: 'mathsvc', apis: [mathApi], logger: silentLogger });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  clients.push(bus);
  return { busName, bus };
}

/** The temporary rule and queue inspect announced on stderr. */
function announced(stderr: string): { rule: string; queue: string } {
  const line = jsonLines(stderr).find((l) => l.message === 'Inspecting events');
  if (!line) throw new Error(`inspect did not announce its resources:\n${stderr}`);
  return { rule: line.rule as string, queue: line.queue as string };
}

async function expectRemoved(busName: string, resources: { rule: string; queue: string }): Promise<void> {
  const rules = await events.send(new ListRulesCommand({ EventBusName: busName, NamePrefix: resources.rule }));
  expect(rules.Rules ?? []).toEqual([]);
  await expect(sqs.send(new GetQueueUrlCommand({ QueueName: resources.queue }))).rejects.toMatchObject({
    name: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/),
  });
}

describe('lightbus inspect', () => {
  it('--follow shows a fired event as JSON, and removes its rule and queue on SIGINT', async () => {
    const { busName, bus } = await mathBus();
    const cli = startCli(['inspect', '--local', '--bus-name', busName, '--follow', '--format', 'json', '--api', 'math']);
    await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'));
    const resources = announced(cli.stderr());
    expect(resources.rule).toContain(`${busName}-inspect-`);

    const sent = await bus.math.happened.fire({ n: 7, label: 'seen' });
    const line = await cli.waitForLine('stdout', (l) => l.includes(sent.id));
    expect(JSON.parse(line)).toMatchObject({
      id: sent.id,
      eventBridgeId: sent.eventBridgeId,
      api: 'math',
      event: 'happened',
      parameters: { n: 7, label: 'seen' },
      sender: { service: 'mathsvc' },
      transport: 'eventbridge',
    });

    cli.child.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(jsonLines(cli.stderr()).some((l) => l.message === 'Removed the temporary rule and queue')).toBe(true);
    await expectRemoved(busName, resources);
  });

  it('--duration stops by itself; --event and --json-path/--equals filter; pretty output', async () => {
    const { busName, bus } = await mathBus();
    const cli = startCli([
      'inspect', '--local', '--bus-name', busName, '--duration', '4s',
      '--event', 'math.happened', '--json-path', '$.parameters.label', '--equals', 'keep',
    ]);
    await cli.waitForLine('stderr', (line) => line.includes('"Inspecting events"'));
    const resources = announced(cli.stderr());
    const dropped = await bus.math.happened.fire({ n: 1, label: 'drop' });
    const unlabelled = await bus.math.happened.fire({ n: 2 });
    const kept = await bus.math.happened.fire({ n: 3, label: 'keep' });

    const { code } = await cli.exited;
    expect(code).toBe(0);
    const out = cli.stdout();
    expect(out).toContain(`math.happened  id=${kept.id}  from mathsvc/`);
    expect(out).toContain('"label": "keep"');
    expect(out).not.toContain(dropped.id);
    expect(out).not.toContain(unlabelled.id);
    await expectRemoved(busName, resources);
  });

  it('fails with a clear message (and cleans up) when the event bus does not exist', async () => {
    const busName = uniqueName('nobus');
    const result = await runCli(['inspect', '--local', '--bus-name', busName, '--duration', '1s']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`The event bus "${busName}" does not exist`);
    const queues = jsonLines(result.stderr).find((l) => l.message === 'Removed the temporary rule and queue');
    expect(queues).toBeDefined();
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: queues?.queue as string }))).rejects.toBeDefined();
  });

  it('rejects bad flags with an error on stderr and a non-zero exit', async () => {
    const badPath = await runCli(['inspect', '--local', '--json-path', 'parameters.email', '--duration', '1s']);
    expect(badPath.code).not.toBe(0);
    expect(badPath.stderr).toContain('--json-path: "parameters.email" must start with "$"');
    const badDuration = await runCli(['inspect', '--duration', 'forever']);
    expect(badDuration.code).not.toBe(0);
    expect(badDuration.stderr).toContain('--duration must be a duration such as 10s');
  });
});
