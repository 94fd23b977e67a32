/**
 * Cutting caller-controlled text to a bound. A cut must fall on a code-point boundary: half a
 * surrogate pair is a lone surrogate, which SQS refuses in a message attribute and DynamoDB in a
 * string, and a refused write of a dead-letter or a result is retried for ever.
 */

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The longest prefix of `text` of at most `maxChars` UTF-16 units that does not split a surrogate pair. */
export function cutAtCodePoint(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const end = maxChars > 0 && isHighSurrogate(text.charCodeAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return text.slice(0, Math.max(0, end));
}

/**
 * `text` itself if it has at most `maxChars` characters; otherwise a prefix with a marker saying
 * how long the text was, the whole at most `maxChars` characters (for `maxChars` ≥ 64).
 */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = `…(cut from ${text.length} characters)`;
  return `${cutAtCodePoint(text, Math.max(0, maxChars - marker.length))}${marker}`;
}
