import { createLogger, escapeText, quoteText, type LogFormat } from '../../runtime/logging';

/** Everything a caller can put in a name, id or message to forge or hide log lines. */
const FORGED_LINE = 'x\n12:00:00.000 INFO  Payment approved  amount=1000 user=admin';
const PAYLOADS: Record<string, string> = {
  newline: FORGED_LINE,
  carriageReturn: 'x\r12:00:00.000 INFO  Payment approved',
  ansi: 'x\u001b[2K\u001b[1A\u001b[32mINFO\u001b[0m',
  del: 'x\u007f',
  c1Csi: 'x\u009b2K',
  c1Nel: 'x\u0085INFO forged',
  lineSeparator: 'x\u2028INFO forged',
  paragraphSeparator: 'x\u2029INFO forged',
  bidiOverride: 'x\u202egnp.exe',
  bidiIsolate: 'x\u2066y\u2069',
  loneSurrogate: 'x\ud800y',
};
/** What must never appear raw in a log line. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])/;

function capture(format: LogFormat): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', format, write: (line) => lines.push(line) }) };
}

function errorWith(message: string): Error {
  return new Error(message);
}

describe('escapeText', () => {
  it('escapes control characters, separators, bidi marks and lone surrogates visibly', () => {
    expect(escapeText('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(escapeText('\u001b[31m')).toBe('\\u001b[31m');
    expect(escapeText('\u007f\u0085\u009b')).toBe('\\u007f\\u0085\\u009b');
    expect(escapeText('\u2028\u2029\u202e\u2066\u061c\u200f')).toBe('\\u2028\\u2029\\u202e\\u2066\\u061c\\u200f');
    expect(escapeText('\ud800x\udc00')).toBe('\\ud800x\\udc00');
  });

  it('leaves ordinary text, including other scripts and emoji, as it is', () => {
    for (const text of ['plain text', 'Zürich – 東京', 'family 👩‍👩‍👧', 'C:\\path\\file', '"quoted"']) {
      expect(escapeText(text)).toBe(text);
    }
  });

  it('keeps JSON text valid and equal in value', () => {
    const value = { name: 'a\u2028b\u202e\u0085c', n: 1 };
    const escaped = escapeText(JSON.stringify(value));
    expect(escaped).not.toMatch(UNSAFE);
    expect(JSON.parse(escaped)).toEqual(value);
    expect(quoteText('a\nb"c')).toBe('"a\\nb\\"c"');
  });
});

describe.each<LogFormat>(['pretty', 'json'])('%s log lines cannot be forged', (format) => {
  it.each(Object.entries(PAYLOADS))('%s: in the message, field values, keys and error messages', (_name, payload) => {
    const { lines, logger } = capture(format);
    logger.info(`Unknown procedure ${payload}`, { procedure: payload, callId: payload, [payload]: 'key', nested: { table: payload } });
    logger.warn('RPC call failed', { error: errorWith(`boom ${payload}`) });
    logger.error('Failed', { error: errorWith(`boom ${payload}`) });
    const output = lines.join('\n');
    expect(output).not.toMatch(UNSAFE);
    // One logical line per call, except the error's stack frames, which sit behind a gutter.
    const all = output.split('\n');
    expect(all.filter((line) => !line.startsWith('  | '))).toHaveLength(3);
    expect(all.some((line) => /^12:00:00\.000 INFO/.test(line))).toBe(false);
    if (format === 'json') for (const line of lines) expect(JSON.parse(line.split('\n')[0] as string)).toBeTruthy();
  });

  it('a forged newline stays visible as \\n inside the one line', () => {
    const { lines, logger } = capture(format);
    logger.warn('Unknown procedure', { procedure: FORGED_LINE });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('x\\n12:00:00.000 INFO  Payment approved');
    if (format === 'json') expect(JSON.parse(lines[0] as string).procedure).toBe(FORGED_LINE);
  });
});

describe('pretty format', () => {
  it('prints stack frames behind a gutter, so a message with newlines cannot start a log line', () => {
    const { lines, logger } = capture('pretty');
    const error = errorWith(FORGED_LINE);
    logger.error('Message failed', { callId: 'c1', error });
    const [first, ...frames] = (lines[0] as string).split('\n');
    expect(first).toMatch(/ERROR Message failed {2}callId=c1 error=Error: x\\n12:00:00\.000 INFO {2}Payment approved/);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatch(/^ {2}\| /);
    expect(frames[0]).toMatch(/^ {2}\| {5}at /);
  });

  it('gutters a stack that does not start with the message (e.g. a remote stack), line by line', () => {
    const { lines, logger } = capture('pretty');
    const error = errorWith('outer');
    error.stack = `Error: outer\n--- remote stack ---\nRemote: ${FORGED_LINE}\n    at remote (x.js:1:1)`;
    logger.error('Failed', { error });
    const rest = (lines[0] as string).split('\n').slice(1);
    expect(rest).toEqual(['  | --- remote stack ---', '  | Remote: x', '  | 12:00:00.000 INFO  Payment approved  amount=1000 user=admin', '  |     at remote (x.js:1:1)']);
  });

  it('quotes values with spaces, "=" or quotes, and keys that are not plain words', () => {
    const { lines, logger } = capture('pretty');
    logger.info('m', { plain: 'abc', spaced: 'a b', eq: 'user=admin', empty: '', 'odd key': 1, n: 3, obj: { a: 1 } });
    expect(lines[0]).toMatch(/ {2}plain=abc spaced="a b" eq="user=admin" empty="" "odd key"=1 n=3 obj=\{"a":1\}$/);
  });

  it('never throws on values JSON cannot hold', () => {
    for (const format of ['pretty', 'json'] as const) {
      const { lines, logger } = capture(format);
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      expect(() => logger.info('m', { big: 10n, cycle })).not.toThrow();
      expect(lines[0]).toContain('10');
      expect(lines[0]).toContain('[Circular]');
    }
  });
});
