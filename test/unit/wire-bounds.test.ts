import { MalformedMessageError } from '../../runtime';
import { assertValidApiName, assertValidMemberName } from '../../runtime/api/names';
import {
  findTooDeep,
  isApiName,
  isMemberName,
  MalformedProblem,
  MAX_PARAMETER_DEPTH,
  parseEventDelivery,
  parseRpcRequest,
  readRpcRequest,
  wireSchemas,
} from '../../runtime/messages';
import { API_NAME_PATTERN, CALL_ID_PATTERN, isCallId, isTableName, MAX_NAME_LENGTH, MEMBER_NAME_PATTERN, TABLE_NAME_PATTERN } from '../../runtime/messages/bounds';

const request = {
  v: 1,
  kind: 'lightbus.rpc',
  id: '5b0a8c1e-2f57-4d0b-9c1a-3e8f0d6a7b21',
  api: 'support.case',
  procedure: 'open',
  parameters: { title: 't' },
  deadline: 1_900_000_000_000,
  returnPath: { table: 'lightbus-results' },
  sender: { service: 'billing', process: 'ip-10-0-0-7-4711' },
};
const detail = {
  v: 1,
  kind: 'lightbus.event',
  id: '0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44',
  api: 'support.case',
  event: 'opened',
  parameters: {},
  firedAt: '2026-01-01T00:00:00.000Z',
};
const envelope = (d: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'eb-1', 'detail-type': 'support.case.opened', source: 'lightbus.support.case', detail: d, ...extra });

/** `depth` levels of nested arrays around a number: `nest(2)` is `[[1]]`. */
function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

function readFailure(body: unknown) {
  const reading = readRpcRequest(typeof body === 'string' ? body : JSON.stringify(body));
  if (reading.ok) throw new Error('expected a malformed request');
  return reading;
}

const refusedRequests: [string, Record<string, unknown>][] = [
  ['an id with "#" (another kind of results key)', { id: 'task#billing#nightly#2026-01-01T00:00:00.000Z' }],
  ['an id of 129 characters', { id: 'a'.repeat(129) }],
  ['an id with a lone surrogate', { id: 'c1\ud800' }],
  ['an id with a space', { id: 'c 1' }],
  ['an id with a newline', { id: 'c1\nINFO forged' }],
  ['an API name with "-"', { api: 'support-case' }],
  ['an API name starting with "_"', { api: '_private' }],
  ['an API name of 129 characters', { api: `a${'b'.repeat(128)}` }],
  ['an API name with an ANSI escape', { api: 'auth\u001b[31m' }],
  ['a procedure named constructor', { procedure: 'constructor' }],
  ['a procedure named __proto__', { procedure: '__proto__' }],
  ['a procedure with a newline', { procedure: 'open\nINFO Payment approved' }],
  ['a procedure of 129 characters', { procedure: `p${'q'.repeat(128)}` }],
  ['a table name of 2 characters', { returnPath: { table: 'ab' } }],
  ['a table name with a space', { returnPath: { table: 'my table' } }],
  ['a table name of 256 characters', { returnPath: { table: 't'.repeat(256) } }],
  ['a sender service of 257 characters', { sender: { service: 's'.repeat(257) } }],
  ['a sender process with a lone surrogate', { sender: { process: '\udc00' } }],
];

describe('wire bounds: names and ids are checked before anything is stored', () => {
  it('accepts UUIDs, prefixed ids, 128-character ids, dotted API names and table ARNs', () => {
    for (const id of [request.id, 'billing:5b0a8c1e', 'a'.repeat(128), 'dup-1764080000000', 'c1']) {
      expect(parseRpcRequest(JSON.stringify({ ...request, id })).id).toBe(id);
    }
    const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/lightbus-results';
    expect(parseRpcRequest(JSON.stringify({ ...request, returnPath: { table: arn } })).returnPath.table).toBe(arn);
    expect(parseRpcRequest(JSON.stringify({ ...request, api: `a${'b'.repeat(127)}` })).api).toHaveLength(128);
  });

  it.each(refusedRequests)('refuses %s, in the fast checks and the schema alike', (_name, mutation) => {
    const broken = { ...request, ...mutation };
    expect(wireSchemas().rpcRequest.safeParse(broken).success).toBe(false);
    expect(() => parseRpcRequest(JSON.stringify(broken))).toThrow(MalformedMessageError);
    expect(() => parseRpcRequest(JSON.stringify(broken))).toThrow(/does not follow wire format v1: \w+(\.\w+)?: (must be|Invalid)/);
  });

  it('says what was expected and names the member when it can', () => {
    const error = readFailure({ ...request, id: 'task#x' }).error;
    expect(error.message).toBe(
      'The RPC request for support.case.open does not follow wire format v1: ' +
        'id: must be 1 to 128 characters of letters, digits, "_", "-", "." and ":"',
    );
    expect(error.context).toMatchObject({ problem: MalformedProblem.NotWireFormat, api: 'support.case', member: 'open' });
  });

  it.each([
    ['an event id with "#"', { id: 'a#b' }],
    ['an event name with a newline', { event: 'opened\nx' }],
    ['a firedAt of 257 characters', { firedAt: '2'.repeat(257) }],
  ])('refuses an event detail with %s', (_name, mutation) => {
    const broken = { ...detail, ...mutation };
    expect(wireSchemas().eventDetail.safeParse(broken).success).toBe(false);
    expect(() => parseEventDelivery(envelope(broken))).toThrow(/is not a lightbus v1 event: \w+: must be/);
  });

  it.each([
    ['an envelope id of 129 characters', { id: 'e'.repeat(129) }],
    ['a detail-type of 129 characters', { 'detail-type': 'd'.repeat(129) }],
    ['a source with a lone surrogate', { source: 'lightbus.\ud800' }],
  ])('refuses %s', (_name, extra) => {
    expect(() => parseEventDelivery(envelope(detail, extra))).toThrow(/not an EventBridge event/);
  });

  it('quotes and escapes the envelope in its error messages', () => {
    const error = (() => {
      try {
        parseEventDelivery(envelope({ ...detail, id: 'bad#' }, { 'detail-type': 'x\u001b[2K\ny' }));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^The event "x\\u001b\[2K\\ny" from "lightbus.support.case" is not a lightbus v1 event/);
  });

  it('wire names follow the definition rules of runtime/api/names.ts', () => {
    for (const name of ['auth', 'support.case', 'a1_b', 'A.b.C']) {
      expect(() => assertValidApiName(name)).not.toThrow();
      expect(isApiName(name)).toBe(true);
    }
    for (const name of ['support-case', '_x', 'a..b', '1a', '', 'a.']) {
      expect(() => assertValidApiName(name)).toThrow();
      expect(isApiName(name)).toBe(false);
    }
    for (const name of ['open', 'getUser', 'a_1']) {
      expect(() => assertValidMemberName('auth', 'procedure', name)).not.toThrow();
      expect(isMemberName(name)).toBe(true);
    }
    for (const name of ['then', 'constructor', 'prototype', '__proto__', '_x', 'a-b', 'a.b', '']) {
      expect(() => assertValidMemberName('auth', 'procedure', name)).toThrow();
      expect(isMemberName(name)).toBe(false);
    }
  });
});

describe('readRpcRequest: whether a malformed request may be answered', () => {
  it('gives the address when the id and table are well-formed', () => {
    const reading = readFailure({ v: 1, kind: 'lightbus.rpc', id: 'bad-1', returnPath: { table: 'lightbus-results' } });
    expect(reading.answerTo).toEqual({ callId: 'bad-1', table: 'lightbus-results' });
    expect(reading.error.context).toMatchObject({ answerable: true, callId: 'bad-1', resultTable: 'lightbus-results' });
  });

  it.each([
    ['the body is not JSON', 'not json at all'],
    ['the body is a JSON array', '[1]'],
    ['the id names a task run record', { ...request, parameters: 'x', id: 'task#billing#nightly#2026-01-01T00:00:00.000Z' }],
    ['the id names a schema record', { ...request, parameters: 'x', id: 'schema#support.case' }],
    ['the id has a lone surrogate', { ...request, parameters: 'x', id: 'c\ud800' }],
    ['the id is too long', { ...request, parameters: 'x', id: 'c'.repeat(129) }],
    ['the id is missing', { ...request, id: undefined }],
    ['the table is not a table name', { ...request, parameters: 'x', returnPath: { table: 'a b' } }],
  ])('gives none when %s, and the error carries no callId for the dispatcher', (_name, body) => {
    const reading = readFailure(body);
    expect(reading.answerTo).toBeUndefined();
    expect(reading.error.context.callId).toBeUndefined();
    expect(reading.error.context.resultTable).toBeUndefined();
    expect(reading.error).toBeInstanceOf(MalformedMessageError);
  });

  it('a well-formed request reads as ok', () => {
    expect(readRpcRequest(JSON.stringify(request))).toEqual({ ok: true, request });
  });
});

describe('parameter depth', () => {
  it(`accepts ${MAX_PARAMETER_DEPTH} levels and refuses one more, naming the member, parameter and limit`, () => {
    expect(parseRpcRequest(JSON.stringify({ ...request, parameters: { tree: nest(MAX_PARAMETER_DEPTH) } })).api).toBe('support.case');
    const reading = readFailure({ ...request, parameters: { title: 't', tree: nest(MAX_PARAMETER_DEPTH + 1) } });
    expect(reading.error.message).toMatch(
      new RegExp(
        `^The call to support\\.case\\.open \\(${request.id}\\): parameter "tree" nests objects and arrays more than ` +
          `${MAX_PARAMETER_DEPTH} levels deep \\(at \\$\\.tree[\\[\\]0]+…\\); at most ${MAX_PARAMETER_DEPTH} levels are allowed\\.$`,
      ),
    );
    expect(reading.error.context).toMatchObject({
      problem: MalformedProblem.ParametersTooDeep,
      api: 'support.case',
      member: 'open',
      parameter: 'tree',
      maxDepth: MAX_PARAMETER_DEPTH,
    });
    // Well-formed id and table: the caller can be told at once instead of timing out.
    expect(reading.answerTo).toEqual({ callId: request.id, table: 'lightbus-results' });
  });

  it('counts objects and arrays alike, and names keys that are not identifiers', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 3; i += 1) value = { 'a b': [value] };
    expect(findTooDeep({ p: value }, 6)).toBeUndefined();
    expect(findTooDeep({ p: value }, 5)).toEqual({ parameter: 'p', path: '$.p["a b"][0]["a b"][0]["a b"]' });
  });

  it('refuses too-deep event parameters with the event named', () => {
    const broken = { ...detail, parameters: { deep: nest(MAX_PARAMETER_DEPTH + 1) } };
    expect(() => parseEventDelivery(envelope(broken))).toThrow(
      /^The event support\.case\.opened \(0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44\): parameter "deep" nests objects and arrays more than 128 levels deep/,
    );
  });
});

describe('the fast checks agree with the documented patterns', () => {
  // Deterministic pseudo-random strings over an alphabet of every character class that matters.
  const alphabet = ['a', 'Z', 'q', '0', '9', '_', '-', '.', ':', '#', ' ', '/', 'é', '\u00ff', '\ud800', '\u0000', '\n'];
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  const samples: string[] = ['', 'a', 'a.b', 'a..b', '.a', 'a.', 'then', 'constructor', 'prototype', 'a'.repeat(128), 'a'.repeat(129), 'abc', 'ab'];
  for (let i = 0; i < 5_000; i += 1) {
    const length = next() % 12;
    let text = '';
    for (let j = 0; j < length; j += 1) text += alphabet[next() % alphabet.length];
    samples.push(text);
  }
  samples.push('arn:aws:dynamodb:eu-west-1:123456789012:table/t-1', 'arn:aws:dynamodb:eu-west-1:1234:table/t-1', 't'.repeat(255), 't'.repeat(256));

  it('on thousands of strings', () => {
    const reserved = new Set(['then', 'constructor', 'prototype']);
    for (const text of samples) {
      expect([text, isCallId(text)]).toEqual([text, CALL_ID_PATTERN.test(text)]);
      expect([text, isApiName(text)]).toEqual([text, text.length <= MAX_NAME_LENGTH && API_NAME_PATTERN.test(text)]);
      expect([text, isMemberName(text)]).toEqual([text, text.length <= MAX_NAME_LENGTH && MEMBER_NAME_PATTERN.test(text) && !reserved.has(text)]);
      expect([text, isTableName(text)]).toEqual([text, TABLE_NAME_PATTERN.test(text)]);
    }
  });
});
