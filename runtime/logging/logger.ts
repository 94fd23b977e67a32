import { currentTraceId } from '../tracing/active';
import { escapeText, hasUnsafeCharacters, quoteText } from './escape';

/**
 * A small structured logger. Lines logged while a worker handles a message carry that work's
 * `traceId` (W3C trace id; see runtime/tracing): use {@link currentTraceId} to add it to the lines
 * of a logger of your own. lightbus logs little (start-up, failures), so a dependency such as
 * pino would add more bundle weight to every Lambda than it saves; any object with these four
 * methods (pino, Powertools Logger, console) can be passed instead.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogFields = Readonly<Record<string, unknown>>;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** @default 'info', or LIGHTBUS_LOG_LEVEL */
  readonly level?: LogLevel;
  /** @default 'pretty' on a terminal, 'json' otherwise (Lambda, containers), or LIGHTBUS_LOG_FORMAT */
  readonly format?: LogFormat;
  /** Fields added to every line, e.g. service and process names. */
  readonly base?: LogFields;
  /** @default process.stderr */
  readonly write?: (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Errors do not survive JSON.stringify; turn them into plain fields (with their cause chain). */
function serialise(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code !== undefined ? { code } : {}),
      ...(value.stack ? { stack: value.stack } : {}),
      ...(value.cause !== undefined && depth < 3 ? { cause: serialise(value.cause, depth + 1) } : {}),
    };
  }
  return value;
}

/**
 * JSON.stringify that never throws: a log call must not fail on a bigint or a cycle in a field.
 * The fallback (a replacer) runs only when the fast path throws.
 */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (typeof item === 'bigint') return item.toString();
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[Circular]';
          seen.add(item);
        }
        return item;
      }) ?? 'null'
    );
  }
}

// Pretty lines are `<time> <LEVEL> <message>  key=value ...`; every caller-controlled part is
// escaped so that it cannot end the line, start a forged one or drive the terminal.

const PLAIN_KEY = /^[\w.$@/-]+$/;
const NEEDS_QUOTES = /[\s="\\]/;

function prettyKey(key: string): string {
  return PLAIN_KEY.test(key) ? key : quoteText(key);
}

function prettyValue(value: unknown): string {
  if (value instanceof Error) return escapeText(`${value.name}: ${value.message}`);
  if (typeof value === 'string') {
    return value === '' || NEEDS_QUOTES.test(value) || hasUnsafeCharacters(value) ? quoteText(value) : value;
  }
  return escapeText(toJson(serialise(value)));
}

/**
 * The stack printed under an error line. Its first line repeats the error's name and message
 * (already on the log line, escaped), so only the frames follow, each on its own line behind a
 * `  | ` gutter: a message or remote stack with newlines in it still cannot produce a line that
 * starts like a log line.
 */
function prettyStack(error: Error): string {
  const stack = error.stack ?? '';
  const header = `${error.name}: ${error.message}`;
  const frames = stack.startsWith(header) ? stack.slice(header.length) : `\n${stack}`;
  return frames
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => `\n  | ${escapeText(line)}`)
    .join('');
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LIGHTBUS_LOG_LEVEL;
  const level: LogLevel = options.level ?? (isLogLevel(envLevel) ? envLevel : 'info');
  const envFormat = process.env.LIGHTBUS_LOG_FORMAT;
  const format: LogFormat =
    options.format ?? (envFormat === 'json' || envFormat === 'pretty' ? envFormat : process.stderr.isTTY ? 'pretty' : 'json');
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = options.base ?? {};
  const threshold = RANK[level];

  const log = (lineLevel: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields = {}): void => {
    if (RANK[lineLevel] < threshold) return;
    // The trace of the work being handled (runtime/tracing), so a line can be found from its trace.
    const traceId = currentTraceId();
    const all: Record<string, unknown> = traceId === undefined ? { ...base, ...fields } : { ...base, traceId, ...fields };
    if (format === 'json') {
      const record: Record<string, unknown> = { level: lineLevel, time: new Date().toISOString(), message };
      for (const [key, value] of Object.entries(all)) record[key] = serialise(value);
      // JSON.stringify escapes C0 and lone surrogates; escapeText adds DEL, C1, U+2028/9 and bidi.
      write(escapeText(toJson(record)));
      return;
    }
    const extras = Object.entries(all)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${prettyKey(key)}=${prettyValue(value)}`)
      .join(' ');
    const error = Object.values(fields).find((v): v is Error => v instanceof Error);
    const stack = error?.stack && lineLevel === 'error' ? prettyStack(error) : '';
    const time = new Date().toISOString().slice(11, 23);
    write(`${time} ${lineLevel.toUpperCase().padEnd(5)} ${escapeText(message)}${extras ? `  ${extras}` : ''}${stack}`);
  };

  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
