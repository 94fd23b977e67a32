/**
 * `lightbus replay`: the bus's history archive (provisioned by `lightbus run --local`'s
 * provisioning) replayed into one listener's rule only, and every bad request refused before
 * anything is replayed.
 *
 * Emulator gap (MiniStack 1.4.21 and 1.5.33): StartReplay ignores `Destination.FilterArns` and
 * delivers the replay to every rule of the bus. So here the test checks the replay EventBridge
 * was asked for (DescribeReplay: limited to the one listener's rule) and that the listener got the
 * events again; that the other listener does NOT see them is asserted only where the endpoint
 * honours FilterArns (probed below), as AWS does.
 */
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { lightbus, type Bus } from '../../runtime';
import { archiveName } from '../../runtime/topology';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';
import { testEnvironment, uniqueName } from '../support/aws';
import { jsonLines, runCli } from '../support/cli';

const env = testEnvironment();
const clientConfig = { endpoint: env.endpoint, region: env.region, credentials: env.credentials };
const eventBridge = new EventBridgeClient(clientConfig);
const sqs = new SQSClient(clientConfig);

afterEach(stopAll);
afterAll(() => {
  eventBridge.destroy();
  sqs.destroy();
});

type MathBus = Bus<readonly [typeof mathApi]>;

/** Whether the endpoint has archives at all, and whether its replays honour FilterArns. */
async function probeReplays(): Promise<{ archives: boolean; filterArns: boolean }> {
  const name = uniqueName('probe');
  const bus = await eventBridge.send(new CreateEventBusCommand({ Name: name }));
  try {
    await eventBridge.send(new CreateArchiveCommand({ ArchiveName: name, EventSourceArn: bus.EventBusArn }));
  } catch (error) {
    if (/InvalidAction|UnknownOperation|NotImplemented/.test((error as Error).name)) return { archives: false, filterArns: false };
    throw error;
  }
  const queue = async (suffix: string) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${suffix}` }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const rule = await eventBridge.send(new PutRuleCommand({ Name: `${name}-${suffix}`, EventBusName: name, EventPattern: JSON.stringify({ source: ['probe'] }) }));
    await eventBridge.send(new PutTargetsCommand({ Rule: `${name}-${suffix}`, EventBusName: name, Targets: [{ Id: 'q', Arn: arn }] }));
    return { url, ruleArn: rule.RuleArn! };
  };
  const [a, b] = [await queue('a'), await queue('b')];
  const from = new Date(Date.now() - 5000);
  await eventBridge.send(new PutEventsCommand({ Entries: [{ EventBusName: name, Source: 'probe', DetailType: 'x', Detail: '{}' }] }));
  const drain = async (url: string) => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages?.length ?? 0;
  await drain(a.url);
  await drain(b.url);
  await eventBridge.send(
    new StartReplayCommand({ ReplayName: name, EventSourceArn: `arn:aws:events:${env.region}:${bus.EventBusArn!.split(':')[4]}:archive/${name}`, EventStartTime: from, EventEndTime: new Date(), Destination: { Arn: bus.EventBusArn, FilterArns: [a.ruleArn] } }),
  );
  await eventually(async () => (await eventBridge.send(new DescribeReplayCommand({ ReplayName: name }))).State === 'COMPLETED', 10_000, 'the probe replay');
  expect(await drain(a.url)).toBe(1);
  return { archives: true, filterArns: (await drain(b.url)) === 0 };
}

let endpoint: { archives: boolean; filterArns: boolean };
beforeAll(async () => {
  endpoint = await probeReplays();
});

describe('lightbus replay', () => {
  it('replays a window of history into one listener, limited to its rule', async () => {
    if (!endpoint.archives) {
      console.warn('SKIPPED: this emulator has no EventBridge archives (CreateArchive); MiniStack >= 1.4.21 has them.');
      return;
    }
    const source = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi] })));
    source.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
    const busName = source.settings.busName;
    const watcher: MathBus = track(lightbus.create(testBusOptions({ busName, serviceName: 'watcher', apis: [mathApi] })));
    const audit: number[] = [];
    const metrics: number[] = [];
    watcher.math.happened.listen((_e, { n }) => void audit.push(n), { listenerName: 'audit' });
    watcher.math.happened.listen((_e, { n }) => void metrics.push(n), { listenerName: 'metrics' });
    await startWorker(watcher); // provisions the bus, its listeners and its history archive
    const from = new Date(Date.now() - 2000).toISOString();
    await source.math.happened.fire({ n: 1 });
    await source.math.happened.fire({ n: 2 });
    await eventually(() => audit.length === 2 && metrics.length === 2, 15_000, 'the live events');

    const replayed = await runCli(['replay', '--local', '--bus-name', busName, '--service-name', 'watcher', '--listener', 'audit', '--api', 'math', '--from', from, '--format', 'json']);
    expect(replayed.code).toBe(0);
    const report = jsonLines(replayed.stdout)[0]!;
    expect(report).toMatchObject({ archive: archiveName(busName), state: 'COMPLETED' });
    await eventually(() => audit.length === 4, 15_000, 'the replayed events in the audit listener');
    expect([...audit].sort()).toEqual([1, 1, 2, 2]);

    const asked = await eventBridge.send(new DescribeReplayCommand({ ReplayName: report.replayName as string }));
    const auditRule = (report.rules as string[])[0]!;
    expect(report.rules).toEqual([auditRule]);
    expect(auditRule).toMatch(new RegExp(`rule/${busName}/${busName}-watcher-audit$`));
    expect(asked.Destination?.FilterArns).toEqual([auditRule]);
    if (endpoint.filterArns) {
      await new Promise((r) => setTimeout(r, 1500));
      expect(metrics).toEqual([1, 2]);
    } else {
      console.warn('NOT CHECKED here: that the other listener does not see the replay (this emulator ignores Destination.FilterArns).');
    }
  });

  it('refuses bad requests before replaying anything', async () => {
    if (!endpoint.archives) {
      console.warn('SKIPPED: this emulator has no EventBridge archives (CreateArchive).');
      return;
    }
    const watcher: MathBus = track(lightbus.create(testBusOptions({ serviceName: 'watcher', apis: [mathApi] })));
    const busName = watcher.settings.busName;
    watcher.math.happened.listen(() => undefined, { listenerName: 'audit' });
    await startWorker(watcher);
    const replay = (...args: string[]) => runCli(['replay', '--local', '--bus-name', busName, '--service-name', 'watcher', ...args]);

    const reversed = await replay('--listener', 'audit', '--from', '2026-01-02T00:00:00Z', '--to', '2026-01-01T00:00:00Z');
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toContain('The window is reversed: --from 2026-01-02T00:00:00.000Z is after --to 2026-01-01T00:00:00.000Z. Nothing was replayed.');
    const empty = await replay('--listener', 'audit', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z');
    expect(empty.stderr).toContain('The window is empty');
    const before = await replay('--listener', 'audit', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z');
    expect(before.stderr).toContain('The window ends before the history starts');
    const unknown = await replay('--listener', 'nosuch', '--from', '1h');
    expect(unknown.stderr).toContain('Service "watcher" has no listener "nosuch"');
    const otherApi = await replay('--listener', 'audit', '--api', 'billing', '--from', '1h');
    expect(otherApi.stderr).toContain('Listener "audit" does not listen to the API "billing"; it listens to math.happened.');
    const badTime = await replay('--listener', 'audit', '--from', 'yesterday-ish');
    expect(badTime.stderr).toContain('--from: "yesterday-ish" is not a time');
    const noArchive = await runCli(['replay', '--local', '--bus-name', uniqueName('nohistory'), '--service-name', 'watcher', '--listener', 'audit', '--from', '1h']);
    expect(noArchive.stderr).toMatch(/has no history archive "nohistory-[0-9a-f]+-history".*Nothing was replayed\./);
  });
});
