import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors';

/** `['address', 0, 'postcode']` → `$.address[0].postcode` */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`), '$');
}

/** Turns zod's issues into ours: where, and what was expected there. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: jsonPath([...issue.path, key]), expected: 'no such parameter (unexpected key)' });
      }
      continue;
    }
    issues.push({ path: jsonPath(issue.path), expected: issue.message });
  }
  return issues;
}

export interface ValidationContext {
  readonly api: string;
  readonly member: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly part: 'parameters' | 'response';
  /** e.g. "parameters", "result", "event parameters" */
  readonly what: string;
}

/** Parses a value with its schema; throws a ValidationError naming the API, member and paths. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, context: ValidationContext): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(context.what, context, toValidationIssues(result.error));
  }
  return result.data;
}
