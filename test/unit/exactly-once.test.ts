/**
 * The exactly-once step of a listener (ExactlyOnceGuard) against an in-memory store with the
 * DynamoDB store's rules: claim when absent or stale, skip when done, wait when claimed and live;
 * done after success, released after failure. And how listen() validates `exactlyOnce`.
 */
import { lightbus, silentLogger, z } from '../../runtime';
import { Dispatcher, ExecutionTimeoutError } from '../../runtime/dispatch';
import { ExactlyOnceGuard, type ExactlyOnceTarget } from '../../runtime/dispatch/exactly-once';
import type { DedupeClaim, DedupeClaimRequest, DedupeClaimResult, DedupeRecords } from '../../runtime/transport/dedupe-store';
import { stubTransports } from '../support/stub-transports';

interface StoredRecord {
  state: 'claimed' | 'done';
  claimedAtMs: number;
  token: string;
}

/** The DedupeStore's conditions, in memory. */
class MemoryRecords implements DedupeRecords {
  public readonly items = new Map<string, StoredRecord>();
  public writes = 0;
  private tokens = 0;

  public async claim(request: DedupeClaimRequest): Promise<DedupeClaimResult> {
    const now = Date.now();
    const found = this.items.get(request.key);
    if (found?.state === 'done') return { kind: 'done' };
    if (found && found.claimedAtMs >= now - request.leaseMs) return { kind: 'busy', claimedAtMs: found.claimedAtMs };
    this.writes += 1;
    const token = `t${(this.tokens += 1)}`;
    this.items.set(request.key, { state: 'claimed', claimedAtMs: now, token });
    return { kind: 'claimed', claim: { table: request.table, key: request.key, token }, tookOver: found !== undefined };
  }

  public async markDone(claim: DedupeClaim): Promise<boolean> {
    this.writes += 1;
    const found = this.items.get(claim.key);
    if (found?.token !== claim.token) return false;
    found.state = 'done';
    return true;
  }

  public async release(claim: DedupeClaim): Promise<void> {
    this.writes += 1;
    if (this.items.get(claim.key)?.token === claim.token) this.items.delete(claim.key);
  }
}

const TARGET: ExactlyOnceTarget = {
  table: 't',
  service: 'mailer',
  listenerName: 'sendWelcomeMail',
  eventId: 'e1',
  claimedBy: 'test',
  leaseMs: 30_000,
  ttlSeconds: 3600,
};
const KEY = 'dedupe#mailer#sendWelcomeMail#e1';

describe('ExactlyOnceGuard', () => {
  it('runs the handler once per event id: a repeat is skipped; two writes per event', async () => {
    const records = new MemoryRecords();
    const guard = new ExactlyOnceGuard(() => records, silentLogger);
    let runs = 0;
    const handler = async () => void (runs += 1);
    expect(await guard.run(TARGET, handler)).toEqual({ kind: 'ran' });
    expect(await guard.run(TARGET, handler)).toEqual({ kind: 'skipped' });
    expect(runs).toBe(1);
    expect(records.items.get(KEY)?.state).toBe('done');
    expect(records.writes).toBe(2);
    // Another event id, or the same id at another listener, is its own record.
    expect(await guard.run({ ...TARGET, eventId: 'e2' }, handler)).toEqual({ kind: 'ran' });
    expect(await guard.run({ ...TARGET, listenerName: 'other' }, handler)).toEqual({ kind: 'ran' });
    expect(runs).toBe(3);
  });

  it('releases the claim when the handler fails, so the retry runs it and records it done once', async () => {
    const records = new MemoryRecords();
    const guard = new ExactlyOnceGuard(() => records, silentLogger);
    const failure = new Error('boom');
    let runs = 0;
    const failingOnce = async () => {
      runs += 1;
      if (runs === 1) throw failure;
    };
    expect(await guard.run(TARGET, failingOnce)).toEqual({ kind: 'failed', error: failure });
    expect(records.items.has(KEY)).toBe(false);
    expect(await guard.run(TARGET, failingOnce)).toEqual({ kind: 'ran' });
    expect(await guard.run(TARGET, failingOnce)).toEqual({ kind: 'skipped' });
    expect(runs).toBe(2);
  });

  it('does not run an event another delivery holds a live claim on; retries once its lease may have run out', async () => {
    const records = new MemoryRecords();
    records.items.set(KEY, { state: 'claimed', claimedAtMs: Date.now() - 10_000, token: 'other' });
    const guard = new ExactlyOnceGuard(() => records, silentLogger);
    let runs = 0;
    const outcome = await guard.run(TARGET, async () => void (runs += 1));
    expect(runs).toBe(0);
    expect(outcome.kind).toBe('busy');
    // About 20 s of the 30 s lease are left (never less than 1 s, never past the lease).
    expect(outcome.kind === 'busy' && outcome.retryInSeconds >= 1 && outcome.retryInSeconds <= 20).toBe(true);
    expect(records.items.get(KEY)?.token).toBe('other');
  });

  it('takes over a claim older than its lease (a delivery that died mid-handler) and runs the handler', async () => {
    const records = new MemoryRecords();
    records.items.set(KEY, { state: 'claimed', claimedAtMs: Date.now() - 31_000, token: 'dead' });
    const guard = new ExactlyOnceGuard(() => records, silentLogger);
    let runs = 0;
    expect(await guard.run(TARGET, async () => void (runs += 1))).toEqual({ kind: 'ran' });
    expect(runs).toBe(1);
    expect(records.items.get(KEY)?.state).toBe('done');
  });

  it('throws a store failure before the handler ran (an infrastructure retry), without running it', async () => {
    const records = new MemoryRecords();
    records.claim = async () => {
      throw new Error('DynamoDB unavailable');
    };
    let runs = 0;
    await expect(new ExactlyOnceGuard(() => records, silentLogger).run(TARGET, async () => void (runs += 1))).rejects.toThrow('DynamoDB unavailable');
    expect(runs).toBe(0);
  });

  it('counts the event as handled when marking it done fails: a retry would only run it again', async () => {
    const records = new MemoryRecords();
    records.markDone = async () => {
      throw new Error('DynamoDB unavailable');
    };
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (message: string) => void errors.push(message) };
    expect(await new ExactlyOnceGuard(() => records, logger).run(TARGET, async () => undefined)).toEqual({ kind: 'ran' });
    expect(errors).toHaveLength(1);
  });
});

describe('ExactlyOnceGuard and execution timeouts', () => {
  it('keeps the claim of a handler that timed out (it may still be running), so a retry waits for the lease', async () => {
    const records = new MemoryRecords();
    const guard = new ExactlyOnceGuard(() => records, silentLogger);
    const timedOut = new ExecutionTimeoutError('listener sendWelcomeMail', 10, { listener: 'sendWelcomeMail' });
    let runs = 0;
    const outcome = await guard.run(TARGET, async () => {
      runs += 1;
      throw timedOut;
    });
    expect(outcome).toEqual({ kind: 'failed', error: timedOut });
    expect(records.items.get(KEY)?.state).toBe('claimed');
    expect((await guard.run(TARGET, async () => void (runs += 1))).kind).toBe('busy');
    expect(runs).toBe(1);
  });
});

describe('listen({ exactlyOnce })', () => {
  const api = lightbus.api('mail', { events: { sent: lightbus.event({ parameters: { to: z.string() } }) } });
  const newBus = () => lightbus.create({ busName: 'eo', serviceName: 'mailer', apis: [api], logger: silentLogger });

  it('records the TTL in seconds (7 days by default) and marks the listener in the topology', () => {
    const bus = newBus();
    bus.mail.sent.listen(() => undefined, { listenerName: 'a', exactlyOnce: true });
    bus.mail.sent.listen(() => undefined, { listenerName: 'b', exactlyOnce: { ttl: '2h' } });
    bus.mail.sent.listen(() => undefined, { listenerName: 'c' });
    expect(bus.registry.listeners.map((l) => l.exactlyOnce)).toEqual([{ ttlSeconds: 7 * 86_400 }, { ttlSeconds: 7200 }, undefined]);
    expect(bus.topology().listeners.map((l) => [l.listenerName, l.exactlyOnce])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
  });

  it('refuses a TTL that is not a duration, or shorter than the visibility timeout, saying what was given', () => {
    const bus = newBus();
    expect(() => bus.mail.sent.listen(() => undefined, { listenerName: 'a', exactlyOnce: { ttl: '7' } })).toThrow(/exactlyOnce.ttl .*got "7"/);
    expect(() =>
      bus.mail.sent.listen(() => undefined, { listenerName: 'b', visibilityTimeoutSeconds: 120, exactlyOnce: { ttl: '1m' } }),
    ).toThrow(/from the visibility timeout \(2m\) to 365d.*got "1m"/);
  });
  it('refuses exactlyOnce on a bus whose fire delivery is buffered (a retry for undelivered fires would be skipped)', () => {
    const bus = lightbus.create({ busName: 'eo', serviceName: 'mailer', apis: [api], logger: silentLogger, fire: { delivery: 'buffered' } });
    expect(() => bus.mail.sent.listen(() => undefined, { listenerName: 'a', exactlyOnce: true })).toThrow(/listen\(a\): exactlyOnce cannot be used on a bus whose fire delivery is 'buffered'/);
    expect(() => bus.mail.sent.listen(() => undefined, { listenerName: 'b' })).not.toThrow();
  });
});

describe('the dispatcher with an exactly-once listener', () => {
  const api = lightbus.api('mail', { events: { sent: lightbus.event({ parameters: { to: z.string() } }) } });

  function setUp(handler: () => unknown) {
    const bus = lightbus.create({ busName: 'eod', serviceName: 'mailer', apis: [api], logger: silentLogger });
    bus.mail.sent.listen(handler, { listenerName: 'send', exactlyOnce: true, visibilityTimeoutSeconds: 30 });
    const stub = stubTransports(bus);
    const records = new MemoryRecords();
    Object.defineProperty(bus.transports, 'dedupe', { value: records, configurable: true });
    const queueName = bus.topology().listeners[0]!.queueName;
    const body = JSON.stringify({
      version: '0',
      id: 'eb-envelope',
      'detail-type': 'mail.sent',
      source: 'lightbus.mail',
      time: new Date().toISOString(),
      detail: { v: 1, kind: 'lightbus.event', id: 'ev-1', api: 'mail', event: 'sent', parameters: { to: 'a@b.c' }, firedAt: new Date().toISOString() },
    });
    const dispatch = (receiveCount = 1) => new Dispatcher(bus).dispatch({ messageId: `m${receiveCount}`, body, receiptHandle: 'r', receiveCount, queueName });
    return { bus, stub, records, dispatch, key: 'dedupe#mailer#send#ev-1' };
  }

  it('runs the first delivery, drops the next as a duplicate (keyed by detail.id, not the envelope id)', async () => {
    let runs = 0;
    const { records, dispatch, key } = setUp(() => void (runs += 1));
    expect(await dispatch()).toEqual({ kind: 'done' });
    expect(await dispatch()).toEqual({ kind: 'dropped', reason: 'duplicate' });
    expect(runs).toBe(1);
    expect([...records.items.keys()]).toEqual([key]);
  });

  it('retries a delivery whose event another delivery is running, without running it, and sets its visibility', async () => {
    let runs = 0;
    const { records, stub, dispatch, key } = setUp(() => void (runs += 1));
    records.items.set(key, { state: 'claimed', claimedAtMs: Date.now(), token: 'other' });
    const outcome = await dispatch();
    expect(outcome).toMatchObject({ kind: 'retry', error: { code: 'EVENT_IN_PROGRESS' } });
    expect(runs).toBe(0);
    expect(stub.visibility.map((v) => v.seconds)).toEqual([(outcome as { delaySeconds: number }).delaySeconds]);
  });

  it('takes a failing handler through the usual backoff, releasing its claim', async () => {
    const { records, dispatch } = setUp(() => {
      throw new Error('smtp down');
    });
    expect(await dispatch()).toMatchObject({ kind: 'retry', delaySeconds: 1 });
    expect(records.items.size).toBe(0);
  });
});
