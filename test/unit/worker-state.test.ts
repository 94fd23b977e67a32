/**
 * Worker state's pieces without AWS: the key kinds, the item and event payloads (docs/wire-format.md,
 * "Worker state"), staleness, the Lambda setting, and the reported version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lightbus, silentLogger, z } from '../../runtime';
import { classifyKey, KeyKind, KeyPatterns, workerKey, WORKER_INDEX_KEY } from '../../runtime/topology';
import {
  describeWorker,
  expiresAtOf,
  isWorkerStale,
  lambdaWorkerStateValue,
  LIGHTBUS_AWS_VERSION,
  newWorkerId,
  parseLambdaWorkerState,
  stateEventEntry,
  stateFromItem,
  stateItem,
  WorkerStateEvent,
  type WorkerState,
} from '../../runtime/worker-state';

const state: WorkerState & { heartbeatSeconds: number } = {
  service: 'auth',
  workerId: 'a1b2c3d4e5f6',
  status: 'running',
  runtime: 'local',
  apis: ['auth'],
  listeners: [{ api: 'customers', event: 'newCustomer', listener: 'createUser' }],
  version: '0.1.0',
  host: 'box',
  pid: 4711,
  startedAt: '2026-12-06T05:00:00.000Z',
  lastSeenAt: '2026-12-06T05:01:00.000Z',
  heartbeatSeconds: 60,
};

describe('worker state keys', () => {
  it('worker#<service>#<workerId> and workers#index are kinds of their own', () => {
    expect(workerKey('auth', 'a1b2c3d4e5f6')).toBe('worker#auth#a1b2c3d4e5f6');
    expect(classifyKey('worker#auth#a1b2c3d4e5f6')).toEqual({ kind: KeyKind.Worker, service: 'auth', workerId: 'a1b2c3d4e5f6' });
    expect(classifyKey(WORKER_INDEX_KEY)).toEqual({ kind: KeyKind.WorkerIndex });
    for (const key of ['worker#auth', 'worker#a#b#c', 'workers#other', 'workers#index#x']) expect(classifyKey(key)).toEqual({ kind: 'unknown' });
    expect(KeyPatterns.workersOf('auth')).toBe('worker#auth#*');
    expect(KeyPatterns.workerIndex).toBe('workers#index');
  });

  it('refuses parts that would shift the key or widen a grant', () => {
    expect(() => workerKey('a#b', 'x')).toThrow(/service "a#b" must be non-empty and hold no "#"/);
    expect(() => KeyPatterns.workersOf('*')).toThrow(/service/);
    expect(newWorkerId()).toMatch(/^[0-9a-f]{12}$/);
    expect(newWorkerId()).not.toBe(newWorkerId());
  });
});

describe('worker state payloads', () => {
  it('the item round-trips, with the documented attributes and an expiry five intervals on', () => {
    const item = stateItem(state);
    expect(Object.keys(item).sort()).toEqual(
      ['apis', 'expiresAt', 'heartbeatSeconds', 'host', 'kind', 'lastSeenAt', 'listeners', 'pid', 'pk', 'runtime', 'service', 'startedAt', 'status', 'version', 'workerId'].sort(),
    );
    expect(item.pk).toEqual({ S: 'worker#auth#a1b2c3d4e5f6' });
    expect(item.expiresAt).toEqual({ N: String(Date.parse(state.lastSeenAt) / 1000 + 300) });
    expect(stateFromItem(item)).toEqual(state);
    expect(expiresAtOf(1_000, 1)).toBe(6);
  });

  it('reads an item without the optional fields, and refuses one that is not a worker state', () => {
    const { host: _h, pid: _p, ...bare } = state;
    expect(stateFromItem(stateItem(bare))).toEqual(bare);
    expect(stateFromItem({ ...stateItem(state), status: { S: 'dancing' } })).toBeUndefined();
    expect(stateFromItem({ pk: { S: 'worker#a#b' } })).toBeUndefined();
  });

  it('the event is an ordinary lightbus event of lightbus.state carrying the state', () => {
    const entry = stateEventEntry(state, WorkerStateEvent.Heartbeat, { process: 'box-4711' });
    expect(entry).toMatchObject({ Source: 'lightbus.lightbus.state', DetailType: 'lightbus.state.workerHeartbeat' });
    expect(JSON.parse(entry.Detail)).toEqual({
      v: 1,
      kind: 'lightbus.event',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      api: 'lightbus.state',
      event: 'workerHeartbeat',
      parameters: state,
      firedAt: expect.any(String),
      sender: { service: 'auth', process: 'box-4711' },
    });
  });

  it('describes what a worker serves, narrowed to part of the module', () => {
    const pingApi = lightbus.api('ping', { rpcs: { ping: lightbus.rpc({ parameters: {}, response: z.string() }) }, events: { pinged: lightbus.event({ parameters: {} }) } });
    const bus = lightbus.create({ busName: 'ws', serviceName: 'pinger', apis: [pingApi], logger: silentLogger });
    bus.register(pingApi, { ping: () => 'pong' });
    bus.ping.pinged.listen(() => undefined, { listenerName: 'audit' });
    bus.ping.pinged.listen(() => undefined, { listenerName: 'tally' });
    expect(describeWorker(bus.topology())).toEqual({
      service: 'pinger',
      apis: ['ping'],
      listeners: [
        { api: 'ping', event: 'pinged', listener: 'audit' },
        { api: 'ping', event: 'pinged', listener: 'tally' },
      ],
    });
    const only = parseLambdaWorkerState(lambdaWorkerStateValue({ apis: [], listeners: ['tally'] }));
    expect(describeWorker(bus.topology(), only.serves)).toEqual({ service: 'pinger', apis: [], listeners: [{ api: 'ping', event: 'pinged', listener: 'tally' }] });
  });
});

describe('staleness', () => {
  const at = (iso: string) => Date.parse(iso);
  it('is stale after more than two heartbeat intervals without a report', () => {
    expect(isWorkerStale(state, { now: at('2026-12-06T05:03:00.000Z') })).toBe(false);
    expect(isWorkerStale(state, { now: at('2026-12-06T05:03:00.001Z') })).toBe(true);
    expect(isWorkerStale({ ...state, heartbeatSeconds: 10 }, { now: at('2026-12-06T05:01:21.000Z') })).toBe(true);
  });

  it('uses the given interval for a state without one, and never calls a stopping worker stale', () => {
    const { heartbeatSeconds: _i, ...withoutInterval } = state;
    expect(isWorkerStale(withoutInterval, { now: at('2026-12-06T05:01:31.000Z'), heartbeatSeconds: 15 })).toBe(true);
    expect(isWorkerStale(withoutInterval, { now: at('2026-12-06T05:01:31.000Z') })).toBe(false);
    expect(isWorkerStale({ ...state, status: 'stopping' }, { now: at('2026-12-07T00:00:00.000Z') })).toBe(false);
  });
});

describe('the Lambda setting (LIGHTBUS_WORKER_STATE)', () => {
  it('is off unless set', () => {
    for (const value of [undefined, '', 'false']) expect(parseLambdaWorkerState(value)).toEqual({ enabled: false });
    expect(parseLambdaWorkerState('true')).toEqual({ enabled: true });
  });

  it('names what a function serves', () => {
    const value = lambdaWorkerStateValue({ apis: ['b', 'a'], listeners: ['x'] });
    expect(value).toBe('apis=a,b;listeners=x');
    const { enabled, serves } = parseLambdaWorkerState(value);
    expect(enabled).toBe(true);
    expect([serves?.api?.('a'), serves?.api?.('c'), serves?.listener?.('x'), serves?.listener?.('y')]).toEqual([true, false, true, false]);
  });
});

it('reports the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(LIGHTBUS_AWS_VERSION).toBe(pkg.version);
});
