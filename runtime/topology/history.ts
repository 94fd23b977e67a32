import { fitName } from './naming';

/**
 * The bus's event history: one EventBridge archive per bus, named after it, holding the lightbus
 * events (sources `lightbus.*`). `lightbus replay` and `lightbus inspect --since` find it by name.
 */

/** EventBridge archive names allow 48 characters (bus names have at most 40). */
const MAX_ARCHIVE_NAME = 48;

export function archiveName(busName: string): string {
  return fitName(`${busName}-history`, MAX_ARCHIVE_NAME);
}

/** What the archive keeps: every lightbus event on the bus. */
export const ARCHIVE_EVENT_PATTERN = { source: [{ prefix: 'lightbus.' }] } as const;

/** How long a bus provisioned locally (`lightbus run --local`) keeps its history. */
export const LOCAL_ARCHIVE_RETENTION_DAYS = 7;

/** How long a deployed bus keeps its history unless told otherwise (LightbusBus `archiveRetention`). */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 30;
