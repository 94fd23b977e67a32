/**
 * The results table's key namespaces (runtime/topology/table-keys.ts, docs/wire-format.md "Results
 * table keys"): every kind round-trips through classifyKey, and no call id — whatever a caller puts
 * in a message — can produce another kind's key.
 */
import { randomBytes } from 'node:crypto';
import { resolveBusSettings } from '../../runtime/config';
import { ConfigurationError } from '../../runtime/errors';
import { CALL_ID_PATTERN } from '../../runtime/messages/bounds';
import {
  ANONYMOUS_CALLER_SCOPE,
  attemptsKey,
  callerScopeOf,
  callerScopeOfCallId,
  callResultKey,
  classifyKey,
  dedupeKey,
  InvalidTableKeyError,
  KeyKind,
  KeyPatterns,
  newCallId,
  schemaKey,
  taskRunKey,
} from '../../runtime/topology';

/** IAM StringLike, for the patterns the grants use (`*` any run, `?` one character). */
function iamLike(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-';
/** Random strings over the call-id charset plus the characters that matter (`#`, wildcards), some valid ids, most not. */
function randomIds(count: number): string[] {
  const alphabet = `${ID_CHARS}#*?/ `;
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(1 + (randomBytes(1)[0]! % 40));
    return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  });
}

describe('results table keys: one namespace per kind', () => {
  const time = new Date('2024-05-01T03:00:00.000Z');

  it('round-trips every kind through classifyKey', () => {
    const callId = newCallId('frontend');
    expect(classifyKey(callResultKey(callId))).toEqual({ kind: KeyKind.CallResult, callId, callerScope: 'frontend' });
    expect(classifyKey(taskRunKey('reports', 'nightly', time))).toEqual({
      kind: KeyKind.TaskRun,
      service: 'reports',
      taskName: 'nightly',
      scheduledTime: '2024-05-01T03:00:00.000Z',
    });
    expect(taskRunKey('reports', 'nightly', time)).toBe('task#reports#nightly#2024-05-01T03:00:00.000Z');
    expect(classifyKey(schemaKey('support.case'))).toEqual({ kind: KeyKind.Schema, api: 'support.case' });
    expect(schemaKey('auth')).toBe('schema#auth');
    expect(classifyKey(dedupeKey('shipping', 'onOrder', 'evt-1'))).toEqual({ kind: KeyKind.Dedupe, service: 'shipping', listener: 'onOrder', eventId: 'evt-1' });
    // An older client's bare UUID is still a call result, of no scope.
    expect(classifyKey('6f1c1f7e-9a44-4f6c-8f43-2a6f0b7c1d2e')).toEqual({
      kind: KeyKind.CallResult,
      callId: '6f1c1f7e-9a44-4f6c-8f43-2a6f0b7c1d2e',
      callerScope: undefined,
    });
  });

  it('classifies what no part of the bus writes as unknown', () => {
    for (const key of ['task#a#b', 'schema#', 'schema#a#b', 'other#x', '#', '', 'a b', 'dedupe#a#b#c#d']) expect(classifyKey(key)).toEqual({ kind: 'unknown' });
  });

  it('never lets a call id name another kind of key (the issue #16 task-cancel attack)', () => {
    const attack = `task#reports#nightly#${time.toISOString()}`;
    expect(() => callResultKey(attack)).toThrow(InvalidTableKeyError);
    expect(() => callResultKey('schema#auth')).toThrow(/cannot key a call result/);
    expect(() => callResultKey('dedupe#a#b#c')).toThrow(InvalidTableKeyError);
    for (const id of randomIds(2000)) {
      let key: string;
      try {
        key = callResultKey(id);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidTableKeyError);
        expect(CALL_ID_PATTERN.test(id)).toBe(false);
        continue;
      }
      // Accepted: it is the id itself, has no `#`, classifies as a call result, and matches no other kind's grant pattern.
      expect(key).toBe(id);
      expect(key).not.toContain('#');
      expect(classifyKey(key).kind).toBe(KeyKind.CallResult);
      expect(iamLike(KeyPatterns.anyKindPrefixed, key)).toBe(false);
      expect(iamLike(KeyPatterns.anySchema, key)).toBe(false);
      expect(iamLike(KeyPatterns.taskRunsOf('reports'), key)).toBe(false);
    }
  });

  it('keeps the IAM patterns apart: a kind-prefixed key never passes the call-results-only grant, a scope reads only its own ids', () => {
    for (const key of [taskRunKey('a', 'b', time), schemaKey('a'), dedupeKey('a', 'b', 'c')]) expect(iamLike(KeyPatterns.anyKindPrefixed, key)).toBe(true);
    expect(iamLike(KeyPatterns.taskRunsOf('reports'), taskRunKey('reports', 'x', time))).toBe(true);
    expect(iamLike(KeyPatterns.taskRunsOf('reports'), taskRunKey('reports-eu', 'x', time))).toBe(false);
    // A listener's dedupe grant covers its own records only, not another listener's of the same service.
    expect(iamLike(KeyPatterns.dedupeRecordsOf('mailer', 'welcome'), dedupeKey('mailer', 'welcome', 'e1'))).toBe(true);
    expect(iamLike(KeyPatterns.dedupeRecordsOf('mailer', 'welcome'), dedupeKey('mailer', 'welcomeBack', 'e1'))).toBe(false);
    expect(() => KeyPatterns.dedupeRecordsOf('', 'welcome')).toThrow(/non-empty/);
    expect(iamLike(KeyPatterns.callResultsOf('auth'), newCallId('auth'))).toBe(true);
    // Scopes hold no `.`, so one scope's pattern never matches another's ids.
    expect(iamLike(KeyPatterns.callResultsOf('auth'), newCallId('auth-admin'))).toBe(false);
    expect(iamLike(KeyPatterns.callResultsOf('auth'), newCallId('authx'))).toBe(false);
    expect(iamLike(KeyPatterns.callResultsOf('auth'), taskRunKey('auth', 'x', time))).toBe(false);
  });

  it('refuses key parts that would shift the parts or act as IAM wildcards', () => {
    expect(() => taskRunKey('a#b', 't', time)).toThrow(InvalidTableKeyError);
    expect(() => taskRunKey('a', 't*', time)).toThrow(InvalidTableKeyError);
    expect(() => schemaKey('')).toThrow(InvalidTableKeyError);
    expect(() => KeyPatterns.taskRunsOf('x?')).toThrow(InvalidTableKeyError);
  });
});

describe('caller scopes and call ids', () => {
  it('makes call ids `<scope>.<uuid>` that satisfy the wire rule and carry their scope', () => {
    const id = newCallId('frontend');
    expect(id).toMatch(/^frontend\.[0-9a-f-]{36}$/);
    expect(CALL_ID_PATTERN.test(id)).toBe(true);
    expect(callerScopeOfCallId(id)).toBe('frontend');
    const longest = newCallId('s'.repeat(64));
    expect(longest.length).toBe(101);
    expect(CALL_ID_PATTERN.test(longest)).toBe(true);
  });

  it('takes the callerScope setting, else the service name (made scope-safe), else anon', () => {
    expect(callerScopeOf({ callerScope: 'explicit', serviceName: 'svc' })).toBe('explicit');
    expect(callerScopeOf({ serviceName: 'svc' })).toBe('svc');
    expect(callerScopeOf({ serviceName: 'host.example.com-42' })).toBe('host-example-com-42');
    expect(callerScopeOf({})).toBe(ANONYMOUS_CALLER_SCOPE);
    expect(() => callerScopeOf({ callerScope: 'a.b' })).toThrow(/not a caller scope; expected 1 to 64 letters/);
    expect(() => newCallId('')).toThrow(InvalidTableKeyError);
  });

  it('resolves the client setting: create({ callerScope }) > LIGHTBUS_CALLER_SCOPE > service name > anon', () => {
    const env = { LIGHTBUS_CALLER_SCOPE: 'from-env', LIGHTBUS_SERVICE_NAME: 'svc' };
    expect(resolveBusSettings({ callerScope: 'from-create' }, env).callerScope).toBe('from-create');
    expect(resolveBusSettings({}, env).callerScope).toBe('from-env');
    expect(resolveBusSettings({}, { LIGHTBUS_SERVICE_NAME: 'svc' }).callerScope).toBe('svc');
    expect(resolveBusSettings({}, {}).callerScope).toBe('anon');
    expect(() => resolveBusSettings({}, { LIGHTBUS_CALLER_SCOPE: 'a*' })).toThrow(ConfigurationError);
  });

  it('keys an ordered listener\'s attempt count by its SQS message id, apart from every other kind, within its own grant pattern', () => {
    const key = attemptsKey('shipping', 'ship', '0a1b2c3d-0000-4000-8000-000000000000');
    expect(key).toBe('attempts#shipping#ship#0a1b2c3d-0000-4000-8000-000000000000');
    expect(classifyKey(key)).toEqual({ kind: KeyKind.Attempts, service: 'shipping', listener: 'ship', messageId: '0a1b2c3d-0000-4000-8000-000000000000' });
    expect(iamLike(KeyPatterns.attemptsOf('shipping', 'ship'), key)).toBe(true);
    expect(iamLike(KeyPatterns.attemptsOf('shipping', 'shipX'), key)).toBe(false);
    expect(iamLike(KeyPatterns.dedupeRecordsOf('shipping', 'ship'), key)).toBe(false);
    expect(iamLike(KeyPatterns.anyKindPrefixed, key)).toBe(true);
    expect(() => attemptsKey('shipping', 'ship', 'a#b')).toThrow(InvalidTableKeyError);
  });
});
