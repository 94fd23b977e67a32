/**
 * Sleeps `ms`, cut short when `signal` aborts. Removes its abort listener either way: a consumer
 * sleeps once per idle poll, and listeners left behind would pile up on its signal.
 */
export function abortableSleep(signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
