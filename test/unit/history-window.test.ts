import { checkWindow, parseTimePoint } from '../../local/history';

const NOW = Date.parse('2026-12-06T12:00:00Z');

describe('replay windows', () => {
  it('reads ISO date-times, epoch ms, now and durations ago', () => {
    expect(parseTimePoint('--from', '2026-12-01T10:00:00Z', NOW).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parseTimePoint('--from', String(NOW - 1000), NOW).getTime()).toBe(NOW - 1000);
    expect(parseTimePoint('--to', 'now', NOW).getTime()).toBe(NOW);
    expect(parseTimePoint('--from', '2h', NOW).getTime()).toBe(NOW - 2 * 3_600_000);
    expect(parseTimePoint('--from', '1d', NOW).getTime()).toBe(NOW - 86_400_000);
    expect(() => parseTimePoint('--from', 'last tuesday', NOW)).toThrow('--from: "last tuesday" is not a time');
  });

  it('refuses reversed, empty and future windows; cuts an end in the future to now', () => {
    const at = (iso: string) => new Date(iso);
    expect(() => checkWindow({ from: at('2026-12-02T00:00:00Z'), to: at('2026-12-01T00:00:00Z') }, NOW)).toThrow('The window is reversed');
    expect(() => checkWindow({ from: at('2026-12-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') }, NOW)).toThrow('The window is empty');
    expect(() => checkWindow({ from: at('2026-12-07T00:00:00Z'), to: at('2026-12-08T00:00:00Z') }, NOW)).toThrow('starts in the future');
    expect(checkWindow({ from: at('2026-12-06T11:00:00Z'), to: at('2026-12-06T13:00:00Z') }, NOW).to.getTime()).toBe(NOW);
  });
});
