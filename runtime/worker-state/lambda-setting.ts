import type { WorkerServes } from './payload';

/**
 * The value of LIGHTBUS_WORKER_STATE (config's WORKER_STATE_ENV) a Lambda worker function is
 * deployed with, and what it means:
 *
 * - unset, empty or `false`: no worker-state reports (the default on Lambda);
 * - `true`: report, serving every API and listener of the bus module;
 * - `apis=<a>,<b>;listeners=<x>,<y>`: report, serving only those (a function of its own for some
 *   APIs or listeners: `LightbusService`'s `separateFunctions`). Either list may be empty.
 */
export interface LambdaWorkerStateSetting {
  readonly enabled: boolean;
  readonly serves?: WorkerServes;
}

export function parseLambdaWorkerState(value: string | undefined): LambdaWorkerStateSetting {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false') return { enabled: false };
  if (text === 'true') return { enabled: true };
  const lists = new Map<string, Set<string>>();
  for (const part of text.split(';')) {
    const [key, names = ''] = part.split('=', 2);
    lists.set((key ?? '').trim(), new Set(names.split(',').map((n) => n.trim()).filter(Boolean)));
  }
  const apis = lists.get('apis') ?? new Set<string>();
  const listeners = lists.get('listeners') ?? new Set<string>();
  return { enabled: true, serves: { api: (api) => apis.has(api), listener: (name) => listeners.has(name) } };
}

/** The LIGHTBUS_WORKER_STATE value for a function that serves exactly these APIs and listeners. */
export function lambdaWorkerStateValue(serves: { readonly apis: readonly string[]; readonly listeners: readonly string[] }): string {
  return `apis=${[...serves.apis].sort().join(',')};listeners=${[...serves.listeners].sort().join(',')}`;
}
