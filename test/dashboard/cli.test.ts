/**
 * `lightbus dashboard` as a user starts it, against the emulator: clear messages on the page for
 * a bus with nothing on it, an endpoint that does not answer and missing credentials; and the
 * emulator behaviour live RPC calls rely on (a NEW_IMAGE stream on the results table).
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { lightbus } from '../../runtime';
import { AwsClients } from '../../runtime/transport';
import { silentLogger } from '../../runtime/logging';
import { ensureResultsTable } from '../../local/provision';
import { uniqueName } from '../support/aws';
import { startCli, type CliProcess } from '../support/cli';

const started: CliProcess[] = [];

afterEach(async () => {
  for (const cli of started.splice(0)) {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
});

async function dashboardAt(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const cli = startCli(['dashboard', '--port', '0', ...args], env);
  started.push(cli);
  const line = await cli.waitForLine('stdout', (l) => l.includes('lightbus dashboard of bus'), 30_000);
  return /(http:\/\/[^\s]+)/.exec(line)![1]!;
}

async function overview(url: string): Promise<{ ok: boolean; problem?: { kind: string; title: string; detail: string }; overview?: { empty: boolean } }> {
  return (await fetch(`${url}/api/overview`)).json() as never;
}

describe('lightbus dashboard (CLI)', () => {
  it('says there is nothing on a bus that does not exist', async () => {
    const url = await dashboardAt(['--local', '--bus-name', uniqueName('none')]);
    const page = await (await fetch(url)).text();
    expect(page).toContain('<script src="/assets/dashboard.js">');
    const js = await fetch(`${url}/assets/dashboard.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(10_000); // preact + htm + the page, bundled
    expect(await overview(url)).toMatchObject({ ok: false, problem: { kind: 'no-bus', title: expect.stringContaining('Nothing on the bus') } });
    const status = (await (await fetch(`${url}/api/status`)).json()) as { feeds: { events: { state: string; reason?: string } } };
    expect(status.feeds.events).toMatchObject({ state: 'unavailable', reason: expect.stringContaining('does not exist') });
  });

  it('says a bus that exists but has nothing on it is empty', async () => {
    const bus = lightbus.create({ busName: uniqueName('empty'), logger: silentLogger });
    // Only the bus's own resources: the event bus and the results table, no API, listener or worker.
    const { provisionTopology } = await import('../../local/provision');
    await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
    await bus.close();
    const url = await dashboardAt(['--local', '--bus-name', bus.settings.busName]);
    expect(await overview(url)).toMatchObject({ ok: true, overview: { empty: true } });
    const clients = new AwsClients({});
    try {
      const temporary = async () => ({
        rules: ((await clients.eventBridge.send(new ListRulesCommand({ EventBusName: bus.settings.busName, NamePrefix: `${bus.settings.busName}-dashboard-` }))).Rules ?? []).length,
        queues: ((await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${bus.settings.busName}-dashboard-` }))).QueueUrls ?? []).length,
      });
      expect(await temporary()).toEqual({ rules: 1, queues: 1 });
      const cli = started.pop()!;
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toMatchObject({ code: 0 });
      expect(await temporary()).toEqual({ rules: 0, queues: 0 });
    } finally {
      clients.destroy();
    }
  });

  it('says the endpoint does not answer', async () => {
    const url = await dashboardAt(['--endpoint', 'http://127.0.0.1:9', '--bus-name', 'shop'], { AWS_MAX_ATTEMPTS: '1' });
    expect(await overview(url)).toMatchObject({ ok: false, problem: { kind: 'unreachable', detail: expect.stringContaining('http://127.0.0.1:9') } });
  });

  it('says credentials are missing', async () => {
    const url = await dashboardAt(['--bus-name', 'shop'], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: 'lightbus-no-such-profile',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    });
    const result = await overview(url);
    expect(result).toMatchObject({ ok: false, problem: { kind: 'credentials' } });
  });
});

describe('emulator contract: DynamoDB Streams on the results table', () => {
  it('streams NEW_IMAGE records of a claim and its completion (what the live RPC view reads)', async () => {
    const bus = lightbus.create({ busName: uniqueName('stream'), logger: silentLogger });
    const clients = bus.transports.clients;
    const table = bus.topology().resultsTable.name;
    await ensureResultsTable(clients, bus.topology());
    const described = await clients.dynamoDb.send(new DescribeTableCommand({ TableName: table }));
    expect(described.Table?.StreamSpecification).toMatchObject({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    const streams = new DynamoDBStreamsClient({});
    try {
      const arn = described.Table!.LatestStreamArn!;
      const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!.Shards![0]!.ShardId!;
      const iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'LATEST' }))).ShardIterator!;
      await clients.dynamoDb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'anon.c1' }, state: { S: 'claimed' }, claimedAt: { N: '1' } } }));
      await clients.dynamoDb.send(
        new UpdateItemCommand({ TableName: table, Key: { pk: { S: 'anon.c1' } }, UpdateExpression: 'SET #s = :ok', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':ok': { S: 'ok' } } }),
      );
      const records = (await streams.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
      expect(records.map((r) => [r.eventName, r.dynamodb?.NewImage?.state?.S])).toEqual([
        ['INSERT', 'claimed'],
        ['MODIFY', 'ok'],
      ]);
    } finally {
      streams.destroy();
      await bus.close();
    }
  });
});
