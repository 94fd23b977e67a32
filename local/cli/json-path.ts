import { isDeepStrictEqual } from 'node:util';
import { ConfigurationError } from '../../runtime/errors';

/**
 * The small JSON path subset `lightbus inspect --json-path` understands: `$` followed by
 * `.name`, `["name"]` / `['name']` and `[index]` steps, e.g. `$.parameters.email` or
 * `$.parameters.items[0]["sku"]`. No wildcards, slices or filters.
 */
export type JsonPath = readonly (string | number)[];

const STEP = /^(?:\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['((?:[^'\\]|\\.)*)'\])/;

export function parseJsonPath(expression: string): JsonPath {
  const text = expression.trim();
  if (!text.startsWith('$')) {
    throw new ConfigurationError(`--json-path: "${expression}" must start with "$" (e.g. $.parameters.email).`);
  }
  const steps: (string | number)[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    if (!match) {
      throw new ConfigurationError(
        `--json-path: cannot read "${rest}" in "${expression}"; use .name, ["name"] or [index] steps (e.g. $.parameters.items[0].sku).`,
      );
    }
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push((match[3] ?? match[4] ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(match[0].length);
  }
  return steps;
}

/** The value at a path, or undefined when any step is missing. */
export function valueAtJsonPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof step === 'number' && !Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, step)) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/**
 * A filter for `--json-path` (and `--equals`): without `equals`, the path must exist; with it,
 * the value there must equal `equals` read as JSON (`42`, `true`, `{"a":1}`), or as plain text
 * when it is not JSON (so `--equals ada@example.com` needs no quotes).
 */
export function jsonPathMatcher(expression: string, equals?: string): (value: unknown) => boolean {
  const path = parseJsonPath(expression);
  if (equals === undefined) return (value) => valueAtJsonPath(value, path) !== undefined;
  let expected: unknown = equals;
  try {
    expected = JSON.parse(equals);
  } catch {
    // plain text
  }
  return (value) => {
    const found = valueAtJsonPath(value, path);
    return isDeepStrictEqual(found, expected) || (typeof found === 'string' && found === equals);
  };
}
