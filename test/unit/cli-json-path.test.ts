/** The JSON path subset of `lightbus inspect --json-path`, and its event filters. */
import { ConfigurationError } from '../../runtime';
import { inspectEventPattern, normaliseFilters } from '../../local/cli/commands/inspect';
import { jsonPathMatcher, parseJsonPath, valueAtJsonPath } from '../../local/cli/json-path';

const event = {
  id: 'e-1',
  api: 'shop',
  event: 'ordered',
  parameters: { email: 'ada@example.com', count: 2, items: [{ sku: 'a-1' }, { sku: 'b-2' }], 'odd key': true, nothing: null },
};

describe('inspect --json-path', () => {
  it('parses .name, ["name"], [\'name\'] and [index] steps', () => {
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$.parameters.items[1].sku')).toEqual(['parameters', 'items', 1, 'sku']);
    expect(parseJsonPath(`$["parameters"]['odd key']`)).toEqual(['parameters', 'odd key']);
  });

  it('rejects what it does not understand, saying what it supports', () => {
    expect(() => parseJsonPath('parameters.email')).toThrow(ConfigurationError);
    expect(() => parseJsonPath('$.parameters.*')).toThrow('use .name, ["name"] or [index] steps');
    expect(() => parseJsonPath('$..email')).toThrow('cannot read "..email"');
  });

  it('reads values, undefined when a step is missing', () => {
    expect(valueAtJsonPath(event, parseJsonPath('$.parameters.items[0].sku'))).toBe('a-1');
    expect(valueAtJsonPath(event, parseJsonPath('$.parameters.items[5].sku'))).toBeUndefined();
    expect(valueAtJsonPath(event, parseJsonPath('$.parameters.email.length'))).toBeUndefined();
    expect(valueAtJsonPath(event, parseJsonPath('$.parameters.nothing'))).toBeNull();
  });

  it('matches on existence, or on a JSON or text value', () => {
    expect(jsonPathMatcher('$.parameters.email')(event)).toBe(true);
    expect(jsonPathMatcher('$.parameters.phone')(event)).toBe(false);
    expect(jsonPathMatcher('$.parameters.nothing')(event)).toBe(true);
    expect(jsonPathMatcher('$.parameters.email', 'ada@example.com')(event)).toBe(true);
    expect(jsonPathMatcher('$.parameters.email', '"ada@example.com"')(event)).toBe(true);
    expect(jsonPathMatcher('$.parameters.count', '2')(event)).toBe(true);
    expect(jsonPathMatcher('$.parameters.count', '3')(event)).toBe(false);
    expect(jsonPathMatcher('$.parameters.items[1]', '{"sku":"b-2"}')(event)).toBe(true);
  });
});

describe('inspect filters', () => {
  it('--event api.name is short for --api api --event name', () => {
    expect(normaliseFilters({ event: 'support.case.opened' })).toEqual({ api: 'support.case', event: 'opened' });
    expect(() => normaliseFilters({ api: 'auth', event: 'support.case.opened' })).toThrow('--api says "auth"');
  });

  it('become an EventBridge pattern', () => {
    expect(inspectEventPattern({})).toEqual({ source: [{ prefix: 'lightbus.' }] });
    expect(inspectEventPattern({ api: 'support.case', event: 'opened', id: 'x' })).toEqual({
      source: ['lightbus.support.case'],
      'detail-type': ['support.case.opened'],
      detail: { id: ['x'] },
    });
    expect(inspectEventPattern({ event: 'opened' })).toEqual({ source: [{ prefix: 'lightbus.' }], detail: { event: ['opened'] } });
  });
});
