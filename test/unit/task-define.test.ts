/** bus.every() / bus.schedule(): validation at definition time, and tasks in the topology. */
import { ConfigurationError, InvalidDefinitionError } from '../../runtime/errors';
import { lightbus, silentLogger } from '../../runtime';

function bus(serviceName: string | null = 'reports', busName = 'shop') {
  return lightbus.create({ busName, ...(serviceName !== null ? { serviceName } : {}), logger: silentLogger });
}
const noop = () => undefined;

describe('defining scheduled tasks', () => {
  it('every() and schedule() become tasks in the topology, sorted, with their rules', () => {
    const b = bus();
    b.every({ minutes: 5 }, noop, { taskName: 'sweep' });
    b.schedule('cron(0 3 * * ? *)', noop, { taskName: 'nightly' });
    b.every({ seconds: 30 }, noop, { taskName: 'heartbeat' });
    expect(b.topology().tasks).toEqual([
      { taskName: 'heartbeat', ruleName: 'shop-reports-task-heartbeat', scheduleExpression: 'rate(30 seconds)', runsOnEventBridge: false },
      { taskName: 'nightly', ruleName: 'shop-reports-task-nightly', scheduleExpression: 'cron(0 3 * * ? *)', runsOnEventBridge: true },
      { taskName: 'sweep', ruleName: 'shop-reports-task-sweep', scheduleExpression: 'rate(5 minutes)', runsOnEventBridge: true },
    ]);
    expect(b.registry.tasks.map((t) => t.taskName)).toEqual(['sweep', 'nightly', 'heartbeat']);
  });

  it('fits long rule names to 64 characters, keeping them distinct', () => {
    const b = bus('a-rather-long-service-name', 'a-bus-name-that-is-quite-long-too');
    b.every({ hours: 1 }, noop, { taskName: 'aVeryLongTaskNameThatGoesOnAndOn_1' });
    b.every({ hours: 1 }, noop, { taskName: 'aVeryLongTaskNameThatGoesOnAndOn_2' });
    const names = b.topology().tasks.map((t) => t.ruleName);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
    expect(new Set(names).size).toBe(2);
  });

  it('requires a task name that is an identifier, unique on the bus', () => {
    const b = bus();
    expect(() => b.every({ minutes: 1 }, noop, undefined as never)).toThrow(/every\(\): options.taskName is required.*got no options/);
    expect(() => b.every({ minutes: 1 }, noop, { taskName: '' })).toThrow(/options.taskName is required/);
    expect(() => b.every({ minutes: 1 }, noop, { taskName: 'my-task' })).toThrow(
      /every\(my-task\): invalid task name "my-task": it must match .*letters, digits and "_", starting with a letter/,
    );
    expect(() => b.schedule('rate(1 hour)', noop, { taskName: '1st' })).toThrow(InvalidDefinitionError);
    b.every({ minutes: 1 }, noop, { taskName: 'sweep' });
    expect(() => b.schedule('rate(1 hour)', noop, { taskName: 'sweep' })).toThrow(
      /schedule\(sweep\): a task named "sweep" already exists on this bus; task names must be unique/,
    );
  });

  it('requires a service name and a handler function', () => {
    const saved = process.env.LIGHTBUS_SERVICE_NAME;
    delete process.env.LIGHTBUS_SERVICE_NAME;
    try {
      expect(() => bus(null).every({ minutes: 1 }, noop, { taskName: 'sweep' })).toThrow(ConfigurationError);
      expect(() => bus(null).every({ minutes: 1 }, noop, { taskName: 'sweep' })).toThrow(
        /every\(sweep\): this bus has no service name.*lightbus.create\(\{ serviceName \}\)/,
      );
    } finally {
      if (saved !== undefined) process.env.LIGHTBUS_SERVICE_NAME = saved;
    }
    expect(() => bus().every({ minutes: 1 }, 'run' as never, { taskName: 'sweep' })).toThrow(/every\(sweep\): the handler must be a function; got string/);
  });

  it('validates the schedule at definition time, naming the task', () => {
    const b = bus();
    expect(() => b.every({ minutes: 0 }, noop, { taskName: 'sweep' })).toThrow(/every\(sweep\): the interval must be longer than zero/);
    expect(() => b.schedule('cron(0 3 * * * *)', noop, { taskName: 'nightly' })).toThrow(/schedule\(nightly\): invalid schedule expression/);
    expect(() => b.schedule('0 3 * * *', noop, { taskName: 'nightly' })).toThrow(/must start with "cron\(" or "rate\("/);
    // Nothing half-registered.
    expect(b.registry.tasks).toHaveLength(0);
  });
});
