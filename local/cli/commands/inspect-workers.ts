import { locateBus } from '../../../runtime/client';
import { resolveBusSettings } from '../../../runtime/config';
import { AwsClients } from '../../../runtime/transport';
import { isWorkerStale, readWorkerStatesFrom, type WorkerState } from '../../../runtime/worker-state';
import { applyCommonOptions, type CommonOptions } from '../common';

export interface InspectWorkersOptions extends CommonOptions {
  readonly format: 'pretty' | 'json';
  /** Leave out workers with no report for more than two heartbeat intervals. @default false (shown, flagged) */
  readonly hideStale?: boolean;
}

/** A worker as `inspect --workers --json` prints it: its state, and whether it is stale. */
export type InspectedWorker = WorkerState & { readonly stale: boolean };

/**
 * `lightbus inspect --workers`: who serves what on the bus now, from the workers' latest reports
 * (runtime/worker-state; no waiting for a heartbeat). Prints a table, or a JSON array; resolves
 * with the workers shown.
 */
export async function inspectWorkers(
  options: InspectWorkersOptions,
  io: { write: (text: string) => void; signal?: AbortSignal; now?: number } = { write: (t) => process.stdout.write(t) },
): Promise<InspectedWorker[]> {
  applyCommonOptions(options);
  const settings = resolveBusSettings();
  const clients = new AwsClients(settings.aws);
  try {
    const now = io.now ?? Date.now();
    const states = await readWorkerStatesFrom(clients.dynamoDb, locateBus(settings).resultsTable, {
      now,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    const workers = states
      .map((state) => ({ ...state, stale: isWorkerStale(state, { now, heartbeatSeconds: settings.workerHeartbeatSeconds }) }))
      .filter((worker) => !(options.hideStale && worker.stale));
    io.write(options.format === 'json' ? `${JSON.stringify(workers, null, 2)}\n` : formatWorkersTable(workers, now));
    return workers;
  } finally {
    clients.destroy();
  }
}

const COLUMNS = ['SERVICE', 'WORKER', 'STATUS', 'RUNTIME', 'APIS', 'LISTENERS', 'VERSION', 'LAST SEEN'] as const;

/** The workers as an aligned text table (one line per worker), or a line saying there are none. */
export function formatWorkersTable(workers: readonly InspectedWorker[], now: number = Date.now()): string {
  if (workers.length === 0) return 'No workers have reported on this bus (none running, or all expired).\n';
  const rows = workers.map((w) => [
    w.service,
    w.workerId,
    w.stale ? `${w.status} (stale)` : w.status,
    w.runtime,
    w.apis.join(',') || '-',
    listenersCell(w) || '-',
    w.version,
    `${w.lastSeenAt} (${ago(now - Date.parse(w.lastSeenAt))})`,
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => `${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`;
  return line(COLUMNS) + rows.map(line).join('');
}

/** `createUser(customers.newCustomer),audit(auth.userCreated+auth.userDeleted)`: each listener and its events. */
function listenersCell(worker: WorkerState): string {
  const byListener = new Map<string, string[]>();
  for (const l of worker.listeners) byListener.set(l.listener, [...(byListener.get(l.listener) ?? []), `${l.api}.${l.event}`]);
  return [...byListener].map(([name, events]) => `${name}(${events.join('+')})`).join(',');
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m ago` : `${Math.round(minutes / 60)}h ago`;
}
