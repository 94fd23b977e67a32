import type { WireError } from '../messages/wire';

/** Turns whatever a procedure threw into the error that travels back to the caller. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'NonErrorThrown', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}
