import { spawn, type ChildProcess } from 'node:child_process';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lightbus } from '../../runtime';
import { uniqueName } from '../support/aws';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

const ROOT = join(__dirname, '..', '..');

afterEach(stopAll);

interface CliWorker {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/** Runs `lightbus run --local` on the fixture bus module in a child process, JSON logs captured. */
async function spawnCliWorker(busName: string, recordFile: string, extraArgs: string[], delayMs: number): Promise<CliWorker> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'lightbus.js'), 'run', '--local', '--bus', join(ROOT, 'test', 'fixtures', 'slow-listener-bus.ts'), ...extraArgs],
    {
      env: {
        ...process.env,
        LIGHTBUS_BUS_NAME: busName,
        LIGHTBUS_LOG_FORMAT: 'json',
        LIGHTBUS_LOG_LEVEL: 'info',
        LIGHTBUS_TEST_RECORD_FILE: recordFile,
        LIGHTBUS_TEST_DELAY_MS: String(delayMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(() => logs.some((l) => l.message === 'Worker started'), 30_000, 'the CLI worker to start');
  return { child, logs, exited };
}

function recorded(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** The firing side, plus an in-process worker that takes over whatever the CLI worker left. */
function services(busName: string) {
  const source = track(lightbus.create(testBusOptions({ busName, serviceName: 'src', apis: [mathApi] })));
  source.register(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
  const successor = track(lightbus.create(testBusOptions({ busName, serviceName: 'slow', apis: [mathApi] })));
  const takenOver: number[] = [];
  successor.math.happened.listen((_e, { n }) => void takenOver.push(n), { listenerName: 'recorder' });
  return { source, successor, takenOver };
}

describe('lightbus run: SIGTERM with messages in flight', () => {
  it('finishes and deletes every message in flight, exits 0, and loses none', async () => {
    const busName = uniqueName('t');
    const recordFile = join(mkdtempSync(join(tmpdir(), 'lb-')), 'handled.txt');
    const cli = await spawnCliWorker(busName, recordFile, ['--concurrency', '4', '--drain-timeout', '10000'], 300);
    const { source, successor, takenOver } = services(busName);
    await Promise.all(Array.from({ length: 30 }, (_, n) => source.math.happened.fire({ n })));
    await eventually(() => recorded(recordFile).length >= 4, 15_000, 'some events handled by the CLI worker');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const stopped = cli.logs.find((l) => l.message === 'Worker stopped');
    expect(stopped).toMatchObject({ returned: 0 });
    expect(Number(stopped!.finished)).toBeGreaterThan(0); // messages were in flight at SIGTERM

    await startWorker(successor);
    await eventually(() => recorded(recordFile).length + takenOver.length >= 30, 20_000, 'all 30 events handled');
    const all = [...recorded(recordFile), ...takenOver].sort((a, b) => a - b);
    // Every event exactly once: none lost, and none the CLI worker finished came back.
    expect(all).toEqual(Array.from({ length: 30 }, (_, n) => n));
  });

  it('returns unfinished messages to the queue at once when the drain timeout passes', async () => {
    const busName = uniqueName('t');
    const recordFile = join(mkdtempSync(join(tmpdir(), 'lb-')), 'handled.txt');
    // Handlers take 3 s, the drain allows 100 ms: whatever is in flight at SIGTERM is unfinished.
    const cli = await spawnCliWorker(busName, recordFile, ['--concurrency', '5', '--drain-timeout', '100'], 3000);
    const { source, successor, takenOver } = services(busName);
    await Promise.all(Array.from({ length: 12 }, (_, n) => source.math.happened.fire({ n })));
    // Wait until the CLI worker holds messages (in flight, invisible to others) before stopping it.
    const queueUrl = await successor.transports.queues.locator.url(successor.topology().listeners[0]!.queueName);
    await eventually(async () => {
      const out = await successor.transports.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) > 0;
    }, 10_000, 'the CLI worker to hold messages');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const stopped = cli.logs.find((l) => l.message === 'Worker stopped');
    expect(Number(stopped!.returned)).toBeGreaterThan(0);

    // The queue's visibility timeout is 30 s; returned messages must come back well before that.
    await startWorker(successor);
    await eventually(() => recorded(recordFile).length + takenOver.length >= 12, 10_000, 'all 12 events handled');
    const all = [...recorded(recordFile), ...takenOver].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 12 }, (_, n) => n));
  });
});
