/**
 * A small structured logger. lightbus logs little (start-up, failures), so a dependency such as
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

function prettyValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(serialise(value));
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
    const all: Record<string, unknown> = { ...base, ...fields };
    if (format === 'json') {
      const record: Record<string, unknown> = { level: lineLevel, time: new Date().toISOString(), message };
      for (const [key, value] of Object.entries(all)) record[key] = serialise(value);
      write(JSON.stringify(record));
      return;
    }
    const extras = Object.entries(all)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${prettyValue(value)}`)
      .join(' ');
    const stack = Object.values(fields).find((v): v is Error => v instanceof Error)?.stack;
    const time = new Date().toISOString().slice(11, 23);
    write(`${time} ${lineLevel.toUpperCase().padEnd(5)} ${message}${extras ? `  ${extras}` : ''}${stack && lineLevel === 'error' ? `\n${stack}` : ''}`);
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
