/**
 * Issue #16, unit level: whoever may send to a request queue or fire on the bus must not be able
 * to stop, slow or spy on another service. Each case sends what an attacker would, through the
 * real parser and dispatcher (transports stubbed), and checks what was run, stored and logged.
 */
import { createLogger, lightbus } from '../../runtime';
import { parseEventDelivery, parseRpcRequest, MAX_PARAMETER_DEPTH } from '../../runtime/messages';
import { mathApi } from '../support/apis';
import { dispatchBody, stubTransports } from '../support/stub-transports';

/** What must never appear raw in a log line. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])/;
const FORGED = '\n12:00:00.000 INFO  Payment approved  amount=1000 user=admin';

function mathWorker() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'pretty', write: (line) => lines.push(line) });
  const bus = lightbus.create({ busName: 'abuse-unit', serviceName: 'math', apis: [mathApi], logger });
  const calls: unknown[] = [];
  bus.register(mathApi, {
    add: (parameters) => {
      calls.push(parameters);
      return parameters.a + parameters.b;
    },
    fail: () => undefined,
    slow: () => 'done',
  });
  bus.math.happened.listen(() => {}, { listenerName: 'counter' });
  const stub = stubTransports(bus);
  const queue = bus.topology().rpcQueues[0]!.queueName;
  const table = bus.transports.location.resultsTable;
  const request = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({
      v: 1,
      kind: 'lightbus.rpc',
      id: `c-${Math.random().toString(36).slice(2)}`,
      api: 'math',
      procedure: 'add',
      parameters: { a: 1, b: 2 },
      deadline: Date.now() + 60_000,
      returnPath: { table },
      ...fields,
    });
  const send = (body: string) => dispatchBody(bus, queue, body);
  return { bus, stub, calls, lines, request, send, table };
}

function expectCleanLogs(lines: readonly string[]): void {
  const all = lines.join('\n');
  expect(all).not.toMatch(UNSAFE);
  expect(all.split('\n').some((line) => line.startsWith('12:00:00.000'))).toBe(false);
}

describe('call ids cannot name other results items (#16 item 2, #10 items 3 and 4)', () => {
  it('a call id shaped like a task run key is refused before anything is claimed, run or written', async () => {
    const { stub, calls, request, send } = mathWorker();
    const outcome = await send(request({ id: 'task#billing#nightly#2026-12-06T03:00:00.000Z' }));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
    expect(calls).toHaveLength(0);
    expect(stub.completed).toHaveLength(0);
  });

  it('a malformed request with such an id is dead-lettered, not answered into that item', async () => {
    const { stub, request, send } = mathWorker();
    const outcome = await send(request({ id: 'schema#math', parameters: 'x' }));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
    expect(stub.completed).toHaveLength(0);
  });

  it('a call id with a lone surrogate never runs (its result could never be stored)', async () => {
    const { stub, calls, request, send } = mathWorker();
    const outcome = await send(request({ id: 'c-\ud800' }));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'malformed' });
    expect(calls).toHaveLength(0);
    expect(stub.completed).toHaveLength(0);
  });

  it('a malformed request with a well-formed id is still answered at once', async () => {
    const { stub, send, table } = mathWorker();
    const outcome = await send(JSON.stringify({ v: 1, kind: 'lightbus.rpc', id: 'bad-1', returnPath: { table } }));
    expect(outcome).toEqual({ kind: 'done' });
    expect(stub.completed).toEqual([{ callId: 'bad-1', outcome: { ok: false, error: expect.objectContaining({ name: 'MalformedMessageError' }) } }]);
  });

  it("a call asking for its result in another bus's table is dead-lettered unrun", async () => {
    const { stub, calls, request, send } = mathWorker();
    const outcome = await send(request({ returnPath: { table: 'someone-elses-results' } }));
    expect(outcome).toMatchObject({ kind: 'deadLettered', reason: 'invalid' });
    expect((outcome as { error: Error }).error.message).toMatch(/asks for its result in table "someone-elses-results"/);
    expect(calls).toHaveLength(0);
    expect(stub.completed).toHaveLength(0);
  });
});

describe('parameters cannot harm the worker', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'prototype'])('"%s" keys at every depth pollute nothing', async (key) => {
    const poison = { polluted: true, prototype: { polluted: true } };
    const body = (extra: string) =>
      `{"v":1,"kind":"lightbus.rpc","id":"p-1","api":"math","procedure":"add","deadline":${Date.now() + 60_000},` +
      `"returnPath":{"table":"abuse-unit-results"},"parameters":{"a":1,"b":2,${extra}}}`;
    const nested = (depth: number): string => {
      const leaf = JSON.stringify(poison);
      let value = leaf;
      for (let i = 0; i < depth; i += 1) value = `{"${key}":${value},"list":[{"${key}":${leaf}}]}`;
      return `"${key}":${value}`;
    };
    for (const depth of [0, 1, 5, 20]) {
      const parsed = parseRpcRequest(body(nested(depth)));
      expect(Object.getPrototypeOf(parsed.parameters)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(parsed.parameters, key)).toBe(true);
    }
    const { send, stub, calls } = mathWorker();
    const outcome = await send(body(nested(3)));
    // Unknown parameter: the caller gets a validation error; the procedure never sees the key.
    expect(outcome.kind).toBe('done');
    expect(calls).toHaveLength(0);
    expect(stub.completed[0]?.outcome).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect(({} as Record<string, unknown>).prototype).toBeUndefined();
  });

  it('a 250 KB string parameter is validated like any other', async () => {
    const { send, stub, calls, request } = mathWorker();
    const outcome = await send(request({ parameters: { a: 1, b: 'x'.repeat(250 * 1024) } }));
    expect(outcome).toEqual({ kind: 'done' });
    expect(calls).toHaveLength(0);
    expect(stub.completed[0]?.outcome).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringMatching(/\$\.b/) } });
  });

  it.each([
    ['a 120,000-deep array', (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`, 120_000],
    ['a 15,000-deep object', (n: number) => `${'{"r":'.repeat(n)}1${'}'.repeat(n)}`, 15_000],
  ])('%s is a clean error for the caller, not a stack overflow', async (_name, build, depth) => {
    const { send, stub, calls, request } = mathWorker();
    const body = request({ parameters: { a: 1, b: '__DEEP__' } }).replace('"__DEEP__"', build(depth));
    const outcome = await send(body);
    expect(outcome).toEqual({ kind: 'done' });
    expect(calls).toHaveLength(0);
    const error = (stub.completed[0]?.outcome as { error: { name: string; message: string } }).error;
    expect(error.name).toBe('MalformedMessageError');
    expect(error.message).toMatch(new RegExp(`^The call to math\\.add \\(c-\\w+\\): parameter "b" nests objects and arrays more than ${MAX_PARAMETER_DEPTH} levels deep`));
  });

  it('deep event parameters are dead-lettered with a clean error', () => {
    const detail = `{"v":1,"kind":"lightbus.event","id":"e-1","api":"math","event":"happened","firedAt":"2026-01-01T00:00:00Z","parameters":{"n":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
    const body = `{"id":"eb-1","detail-type":"math.happened","source":"lightbus.math","detail":${detail}}`;
    expect(() => parseEventDelivery(body)).toThrow(/^The event math\.happened \(e-1\): parameter "n" nests objects and arrays more than/);
  });
});

describe('caller input cannot forge log lines (pretty format)', () => {
  it('through names, unknown parameter names and error messages', async () => {
    const { send, request, lines } = mathWorker();
    await send(request({ procedure: `add${FORGED}` }));
    await send(request({ procedure: 'add\u001b[2K\u001b[1A', id: 'c-\u001b[31m' }));
    await send(request({ parameters: { a: 1, b: 2, [`x${FORGED}`]: 1, 'y\u2028z\u202e': 2 } }));
    await send(request({ procedure: 'divide' }));
    await send(`{"v":1,"kind":"lightbus.rpc","id":"c-9"${FORGED}`);
    await send(request({ returnPath: { table: `t${FORGED}` } }));
    expect(lines.length).toBeGreaterThan(0);
    expectCleanLogs(lines);
  });
});
