import { CreateArchiveCommand, DescribeArchiveCommand } from '@aws-sdk/client-eventbridge';
import type { Logger } from '../runtime/logging';
import { ARCHIVE_EVENT_PATTERN, archiveName, LOCAL_ARCHIVE_RETENTION_DAYS } from '../runtime/topology';
import type { AwsClients } from '../runtime/transport';

/**
 * Creates the bus's history archive (`<bus>-history`) if it is missing: the local twin of
 * LightbusBus's `archive`. An endpoint without EventBridge archives only costs the history (a
 * warning), never the worker's start.
 */
export async function ensureBusArchive(clients: AwsClients, busName: string, eventBusArn: string, logger: Logger): Promise<void> {
  const name = archiveName(busName);
  try {
    await clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: name }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') return warn(logger, name, error);
  }
  try {
    await clients.eventBridge.send(
      new CreateArchiveCommand({
        ArchiveName: name,
        EventSourceArn: eventBusArn,
        EventPattern: JSON.stringify(ARCHIVE_EVENT_PATTERN),
        RetentionDays: LOCAL_ARCHIVE_RETENTION_DAYS,
        Description: `lightbus history of the bus ${busName} (lightbus replay, lightbus inspect --since)`,
      }),
    );
  } catch (error) {
    // Another worker created it between our describe and create.
    if ((error as Error).name !== 'ResourceAlreadyExistsException') warn(logger, name, error);
  }
}

function warn(logger: Logger, archive: string, error: unknown): void {
  logger.warn('Could not provision the bus history archive: replays and inspect --since will not work', { archive, error: error as Error });
}
