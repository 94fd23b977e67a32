/**
 * Escaping of text that may come from a caller (procedure and parameter names, ids, error
 * messages) before it reaches a log line or another line-oriented sink. Without it a newline in a
 * procedure name forges a whole log line, and an ANSI escape sequence recolours or rewrites the
 * reader's terminal.
 */

/**
 * Characters that break a line, drive a terminal or reorder what a reader sees: C0 controls
 * (including \n \r \t), DEL, C1 controls, the bidi marks and overrides (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069), the line and paragraph separators U+2028/U+2029, the BOM, the
 * noncharacters U+FFFE/U+FFFF, and lone surrogates (not text at all; SQS and DynamoDB refuse them).
 */
const UNSAFE_SOURCE =
  '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff\\ufffe\\uffff]' +
  '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE = new RegExp(UNSAFE_SOURCE);
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, 'g');

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** True if `text` holds a character that {@link escapeText} would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * Replaces every unsafe character with a visible escape (`\n`, `\u001b`, `\u2028`). Safe on JSON
 * text too: such characters can only occur inside JSON strings, where these escapes are valid,
 * so escaped JSON still parses to the same value.
 */
export function escapeText(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeOne) : text;
}

/**
 * `text` as a double-quoted string literal with everything unsafe escaped: for putting a
 * caller's string into an error message or a log field so that its bounds are visible.
 */
export function quoteText(text: string): string {
  return escapeText(JSON.stringify(text));
}
