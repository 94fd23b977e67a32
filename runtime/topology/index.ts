export { deriveTopology, queueRoles, assertResourceNamePart } from './topology';
export type {
  Topology,
  TopologyInput,
  QueueModel,
  RpcQueueModel,
  ListenerModel,
  TaskModel,
  ListenedEvent,
  ResultsTableModel,
  PermissionsModel,
  QueueRole,
} from './topology';
export {
  apiSlug,
  fitName,
  eventBusName,
  resultsTableName,
  rpcQueueName,
  listenerQueueName,
  listenerRuleName,
  taskRuleName,
  deadLetterQueueName,
  DEAD_LETTER_SUFFIX,
} from './naming';
export { archiveName, ARCHIVE_EVENT_PATTERN, LOCAL_ARCHIVE_RETENTION_DAYS, DEFAULT_ARCHIVE_RETENTION_DAYS } from './history';
