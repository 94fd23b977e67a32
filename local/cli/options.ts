import { InvalidArgumentError } from 'commander';

export function parseNonNegativeInt(flag: string, value: string): number {
  // Digits only: Number('') and Number(' ') are 0.
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a whole number, 0 or more; got "${value}".`);
  return n;
}

export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer; got "${value}".`);
  return n;
}
