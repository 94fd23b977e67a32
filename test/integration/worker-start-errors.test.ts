import { ConfigurationError } from '../../runtime/errors';
import { LightbusWorker } from '../../local';
import { lightbus, mathApi, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

it('names the queue that does not exist when a worker starts without provisioning', async () => {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'math', apis: [mathApi] })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => '' });
  const worker = new LightbusWorker(bus, { provision: false, publishSchemas: false, waitTimeSeconds: 1 });
  const queueName = bus.topology().rpcQueues[0]!.queueName;
  const error = await worker.start().then(() => undefined, (e: unknown) => e);
  await worker.stop();
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as Error).message).toContain(`Queue "${queueName}" does not exist`);
});
