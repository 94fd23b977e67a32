import { ValidationError } from '../errors';
import type { WireError } from '../messages/wire';
import { cutText } from './text-bounds';

/**
 * Bounds on an error a worker writes as a call's answer (and logs). A caller controls how large a
 * procedure's error can get: one 180 KB request of 60,000 empty strings made a 7.66 MB
 * ValidationError (every issue listed, its stack repeating the message) that DynamoDB refused,
 * and the worker retried the write until the caller's deadline. Bounded, every error fits in a
 * results item at once and costs a few KB of log.
 */
export const ErrorBounds = {
  /** Validation issues listed in a message; the rest are counted ("…and K more"). */
  maxListedIssues: 20,
  /** Characters of one listed issue (its text may quote what was received). */
  maxIssueChars: 256,
  /** Characters of a message. */
  maxMessageChars: 8 * 1024,
  /** Characters of a stack (its first line repeats the bounded message). */
  maxStackChars: 16 * 1024,
  /** Characters of a name or code. */
  maxNameChars: 256,
  /**
   * Bytes of the serialized error (UTF-8 JSON, where a control character takes 6 bytes): far
   * below a results item's 400 KB, whatever the characters. The stack is dropped, then the
   * message cut harder, to get under it.
   */
  maxBytes: 64 * 1024,
  /** Errors of the cause chain kept in a bounded error (for logs). */
  maxCauseDepth: 3,
} as const;

/** The message of a ValidationError with at most `maxListedIssues` issues, each cut short. */
function validationMessage(error: ValidationError): string {
  const issues = error.issues;
  const texts = issues.map((issue) => `${issue.path}: ${issue.expected}`);
  const listedTooMany = issues.length > ErrorBounds.maxListedIssues;
  if (!listedTooMany && texts.every((text) => text.length <= ErrorBounds.maxIssueChars)) return error.message;
  // ValidationError's message is `<what it was>: <issues joined by "; ">` (runtime/errors).
  const full = texts.join('; ');
  if (!error.message.endsWith(full)) return error.message;
  const head = error.message.slice(0, error.message.length - full.length);
  const listed = texts.slice(0, ErrorBounds.maxListedIssues).map((text) => cutText(text, ErrorBounds.maxIssueChars));
  const more = issues.length - listed.length;
  return `${head}${listed.join('; ')}${more > 0 ? ` …and ${more} more` : ''}`;
}

function boundedMessage(error: Error): string {
  const message = error instanceof ValidationError ? validationMessage(error) : error.message;
  return cutText(message, ErrorBounds.maxMessageChars);
}

/** The stack with its first line's copy of the message replaced by the bounded message, then cut. */
function boundedStack(error: Error, name: string, message: string): string | undefined {
  const stack = error.stack;
  if (typeof stack !== 'string' || stack === '') return undefined;
  const header = `${error.name}: ${error.message}`;
  const rebased = stack.startsWith(header) ? `${name}: ${message}${stack.slice(header.length)}` : stack;
  return cutText(rebased, ErrorBounds.maxStackChars);
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? cutText(code, ErrorBounds.maxNameChars) : undefined;
}

function byteLength(wire: WireError): number {
  return Buffer.byteLength(JSON.stringify(wire), 'utf8');
}

/** Drops the stack, then cuts the message, until the serialized error is within `maxBytes`. */
function fit(wire: WireError): WireError {
  if (byteLength(wire) <= ErrorBounds.maxBytes) return wire;
  const { stack: _dropped, ...withoutStack } = wire;
  if (byteLength(withoutStack) <= ErrorBounds.maxBytes) return withoutStack;
  // Each character serializes to at most 6 bytes (\uXXXX): 1024 of them always fit.
  return { ...withoutStack, message: cutText(withoutStack.message, 1024) };
}

/**
 * Turns whatever a procedure threw into the error that travels back to the caller, within
 * {@link ErrorBounds}: what is cut says so (`…(cut at N characters)`, `…and K more`).
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const name = cutText(error.name || 'Error', ErrorBounds.maxNameChars);
    const message = boundedMessage(error);
    const stack = boundedStack(error, name, message);
    const code = codeOf(error);
    return fit({ name, message, ...(stack !== undefined ? { stack } : {}), ...(code !== undefined ? { code } : {}) });
  }
  const text = typeof error === 'string' ? error : (safeJson(error) ?? String(error));
  return fit({ name: 'NonErrorThrown', message: cutText(text, ErrorBounds.maxMessageChars) });
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * `error` as an Error within {@link ErrorBounds} (its cause chain too, a few levels deep), for a
 * log line: logging a caller-inflated error as it is wrote megabytes per message.
 */
export function boundedError(error: unknown, depth = 0): Error {
  const wire = toWireError(error);
  const bounded = new Error(wire.message);
  bounded.name = wire.name;
  if (wire.stack !== undefined) bounded.stack = wire.stack;
  else delete bounded.stack;
  if (wire.code !== undefined) (bounded as Error & { code?: string }).code = wire.code;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause !== undefined && depth < ErrorBounds.maxCauseDepth) bounded.cause = boundedError(cause, depth + 1);
  return bounded;
}
