import { inspectEventPattern, matchesFilters, normaliseFilters } from '../../local/cli/inspect-filters';

describe('inspect filters: wildcards', () => {
  it('turns * in --api into an EventBridge wildcard on the source, and matches it locally the same way', () => {
    const filters = normaliseFilters({ api: 'audit.*' });
    expect(inspectEventPattern(filters)).toEqual({ source: [{ wildcard: 'lightbus.audit.*' }] });
    expect(matchesFilters({ api: 'audit.logins', event: 'x', id: '1' }, filters)).toBe(true);
    expect(matchesFilters({ api: 'audit.logins.eu', event: 'x', id: '1' }, filters)).toBe(true);
    expect(matchesFilters({ api: 'audit', event: 'x', id: '1' }, filters)).toBe(false);
    expect(matchesFilters({ api: 'auditor', event: 'x', id: '1' }, filters)).toBe(false);
  });

  it('puts an event pattern on detail-type for an exact API, on detail.event for an API pattern', () => {
    expect(inspectEventPattern(normaliseFilters({ event: 'math.hap*' }))).toEqual({ source: ['lightbus.math'], 'detail-type': [{ wildcard: 'math.hap*' }] });
    expect(inspectEventPattern(normaliseFilters({ api: 'audit.*', event: 'login*' }))).toEqual({
      source: [{ wildcard: 'lightbus.audit.*' }],
      detail: { event: [{ wildcard: 'login*' }] },
    });
    expect(matchesFilters({ api: 'math', event: 'happened', id: '1' }, normaliseFilters({ event: 'math.hap*' }))).toBe(true);
    expect(matchesFilters({ api: 'math', event: 'other', id: '1' }, normaliseFilters({ event: 'math.hap*' }))).toBe(false);
  });

  it('keeps exact names exact, and refuses characters that are neither names nor *', () => {
    expect(inspectEventPattern(normaliseFilters({ api: 'audit' }))).toEqual({ source: ['lightbus.audit'] });
    expect(() => normaliseFilters({ api: 'audit/x' })).toThrow('--api: "audit/x" is neither a name nor a pattern');
    expect(() => normaliseFilters({ api: 'audit.?' })).toThrow('neither a name nor a pattern');
    expect(() => normaliseFilters({ event: 'math.a b' })).toThrow('--event: "a b" is neither a name nor a pattern');
  });
});
