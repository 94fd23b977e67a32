import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { ARCHIVE_EVENT_PATTERN, archiveName, DEFAULT_ARCHIVE_RETENTION_DAYS } from '../runtime/topology';

/** The bus's history props, as `LightbusBusProps` has them. */
export interface BusArchiveProps {
  readonly archive?: boolean;
  readonly archiveRetention?: Duration;
}

/**
 * The EventBridge archive of a bus's lightbus events (`<bus>-history`), which `lightbus replay`
 * replays into one listener and `lightbus inspect --since` reads. Undefined when `archive` is false.
 */
export function createBusArchive(scope: Construct, eventBus: events.IEventBus, busName: string, props: BusArchiveProps): events.Archive | undefined {
  const path = scope.node.path;
  if (props.archive === false) {
    if (props.archiveRetention !== undefined) {
      throw new ConstructValidationError(path, 'archiveRetention is set but archive is false; give one or the other.');
    }
    return undefined;
  }
  const retention = props.archiveRetention ?? Duration.days(DEFAULT_ARCHIVE_RETENTION_DAYS);
  const days = retention.toDays({ integral: false });
  if (!Token.isUnresolved(days) && (!Number.isInteger(days) || days < 1)) {
    throw new ConstructValidationError(path, `archiveRetention must be a whole number of days, at least 1; got ${retention.toHumanString()}.`, { days });
  }
  return new events.Archive(scope, 'History', {
    sourceEventBus: eventBus,
    archiveName: archiveName(busName),
    description: `lightbus history of the bus ${busName}: replays (lightbus replay) and lightbus inspect --since`,
    eventPattern: { source: events.Match.prefix(ARCHIVE_EVENT_PATTERN.source[0].prefix) },
    retention,
  });
}
