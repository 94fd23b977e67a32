export { createLogger, silentLogger, isLogLevel, LOG_LEVELS } from './logger';
export type { Logger, LogFields, LogLevel, LogFormat, LoggerOptions } from './logger';
export { escapeText, quoteText, hasUnsafeCharacters } from './escape';
export { currentTraceId } from '../tracing/active';
