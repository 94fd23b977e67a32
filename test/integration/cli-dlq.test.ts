/**
 * `lightbus dlq list|show|redrive` against the emulator. The emulator has no SQS
 * StartMessageMoveTask, so redrive takes its receive-and-send path here.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, type Bus, type DispatchOutcome } from '../../runtime';
import { DeadLetterAttributes } from '../../runtime/messages';
import { provisionTopology } from '../../local/provision';
import { silentLogger } from '../../runtime/logging';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';
import { jsonLines, runCli } from '../support/cli';

afterEach(stopAll);

type MathBus = Bus<readonly [typeof mathApi]>;

function mathService(busName?: string): MathBus {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi], ...(busName ? { busName } : {}) })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  return bus;
}

describe('lightbus dlq', () => {
  it('lists and shows dead letters with their cause, redrives them to the listener, and says when there is nothing to do', async () => {
    const source = mathService();
    const busName = source.settings.busName;
    const watcher = track(lightbus.create(testBusOptions({ busName, serviceName: 'watcher', apis: [mathApi] })));
    let broken = true;
    const handled: number[] = [];
    watcher.math.happened.listen(
      (_event, { n }) => {
        if (broken) throw new Error('downstream unavailable');
        handled.push(n);
      },
      { listenerName: 'flaky', maxReceives: 1, retryDelaySeconds: 0 },
    );
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    const first = await source.math.happened.fire({ n: 1 });
    const second = await source.math.happened.fire({ n: 2 });
    await eventually(() => outcomes.filter((o) => o.kind === 'deadLettered').length === 2, 20_000, 'two dead letters');

    const select = ['--local', '--bus-name', busName, '--service-name', 'watcher', '--listener', 'flaky'];
    const listed = await runCli(['dlq', 'list', ...select, '--format', 'json']);
    expect(listed.code).toBe(0);
    const letters = jsonLines(listed.stdout);
    expect(letters.map((l) => (l.content as { id: string }).id).sort()).toEqual([first.id, second.id].sort());
    for (const letter of letters) {
      expect(letter).toMatchObject({
        content: { kind: 'event', api: 'math', member: 'happened' },
        cause: { reason: 'retries-exhausted', errorName: 'Error', errorMessage: 'downstream unavailable', receiveCount: 1 },
        expired: false,
      });
    }
    // Listing leaves them in the queue: a second listing sees both again.
    expect(jsonLines((await runCli(['dlq', 'list', ...select, '--format', 'json'])).stdout)).toHaveLength(2);

    const shown = await runCli(['dlq', 'show', first.id, ...select]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id=${first.id}`);
    expect(shown.stdout).toContain('cause: retries-exhausted (Error: downstream unavailable), after 1 receive(s)');

    broken = false;
    const redriven = await runCli(['dlq', 'redrive', ...select]);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain('moved 2 message(s) back to');
    await eventually(() => handled.length === 2, 15_000, 'the redriven events to be handled');
    expect([...handled].sort()).toEqual([1, 2]);

    const empty = await runCli(['dlq', 'list', ...select]);
    expect(empty.stdout).toContain('empty, nothing to do');
    const again = await runCli(['dlq', 'redrive', ...select]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to redrive');
  });

  it('redrives an API\'s requests without their dead-letter cause, and keeps the ones past their deadline', async () => {
    const bus = mathService();
    const busName = bus.settings.busName;
    const provisioned = await provisionTopology(bus.topology(), bus.transports.clients, silentLogger);
    const model = bus.topology().rpcQueues[0]!;
    const dlqUrl = await bus.transports.queues.locator.url(model.deadLetterQueueName);
    const request = (id: string, deadline: number) =>
      JSON.stringify({ v: 1, kind: 'lightbus.rpc', id, api: 'math', procedure: 'add', parameters: { a: 1, b: 2 }, deadline, returnPath: { table: `${busName}-results` } });
    const cause = {
      [DeadLetterAttributes.Reason]: { DataType: 'String', StringValue: 'result-not-written' },
      [DeadLetterAttributes.ReceiveCount]: { DataType: 'Number', StringValue: '2' },
    };
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: request('call-live', Date.now() + 3_600_000), MessageAttributes: cause }));
    await bus.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: request('call-expired', Date.now() - 1000), MessageAttributes: cause }));

    const redriven = await runCli(['dlq', 'redrive', '--local', '--bus-name', busName, '--api', 'math']);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain('moved 1 message(s) back to');
    expect(redriven.stdout).toContain('(call call-expired): an RPC request past its deadline is not redriven');

    const sourceUrl = provisioned.queueUrls.get(model.queueName)!;
    const moved = await bus.transports.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: sourceUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    expect(moved.Messages).toHaveLength(1);
    expect(JSON.parse(moved.Messages![0]!.Body!)).toMatchObject({ id: 'call-live' });
    expect(moved.Messages![0]!.MessageAttributes?.[DeadLetterAttributes.Reason]).toBeUndefined();

    const left = jsonLines((await runCli(['dlq', 'list', '--local', '--bus-name', busName, '--api', 'math', '--format', 'json'])).stdout);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ content: { kind: 'rpc', id: 'call-expired' }, expired: true, cause: { reason: 'result-not-written', receiveCount: 2 } });
  });

  it('refuses an unknown listener or API, and a listener without a service name', async () => {
    const busName = mathService().settings.busName;
    const unknown = await runCli(['dlq', 'list', '--local', '--bus-name', busName, '--api', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('API "nosuch" has no dead-letter queue');
    const both = await runCli(['dlq', 'list', '--local', '--bus-name', busName, '--api', 'math', '--listener', 'x']);
    expect(both.stderr).toContain('--listener <name> (with --service-name) or --api <name>; got both.');
    const noService = await runCli(['dlq', 'list', '--local', '--bus-name', busName, '--listener', 'x'], { LIGHTBUS_SERVICE_NAME: '' });
    expect(noService.stderr).toContain('give --service-name');
  });
});
