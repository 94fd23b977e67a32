/** The CLI's number flags: what they accept, and errors that name the flag and what was given. */
import { InvalidArgumentError } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../../local/cli/options';

describe('CLI number options', () => {
  it('--long-poll-recheck takes 0 (off) and whole numbers', () => {
    expect(parseNonNegativeInt('--long-poll-recheck', '0')).toBe(0);
    expect(parseNonNegativeInt('--long-poll-recheck', '100')).toBe(100);
  });

  it.each(['-1', '2.5', 'soon', ''])('--long-poll-recheck refuses %p, naming the flag and the value', (value) => {
    expect(() => parseNonNegativeInt('--long-poll-recheck', value)).toThrow(InvalidArgumentError);
    expect(() => parseNonNegativeInt('--long-poll-recheck', value)).toThrow(`--long-poll-recheck must be a whole number, 0 or more; got "${value}".`);
  });

  it('--concurrency refuses 0', () => {
    expect(() => parsePositiveInt('--concurrency', '0')).toThrow('--concurrency must be a positive integer; got "0".');
  });
});
