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
  eventTopicName,
  orderedListenerQueueName,
  FIFO_SUFFIX,
  DEAD_LETTER_SUFFIX,
} from './naming';
export { eventTransportOf, isSnsTransport } from './event-transport';
export type { EventTransportName, TopicModel, TopicSubscriptionModel } from './event-transport';
export {
  KeyKind,
  KEY_SEPARATOR,
  TASK_KEY_PREFIX,
  SCHEMA_KEY_PREFIX,
  DEDUPE_KEY_PREFIX,
  OWNER_KEY_PREFIX,
  ownerKey,
  CALLER_SCOPE_PATTERN,
  CALLER_SCOPE_RULE,
  ANONYMOUS_CALLER_SCOPE,
  CALLER_SCOPE_SEPARATOR,
  InvalidTableKeyError,
  isCallerScope,
  assertCallerScope,
  callerScopeOf,
  newCallId,
  callerScopeOfCallId,
  callResultKey,
  taskRunKey,
  schemaKey,
  dedupeKey,
  classifyKey,
  KeyPatterns,
} from './table-keys';
export type { ClassifiedKey } from './table-keys';
export { archiveName, ARCHIVE_EVENT_PATTERN, LOCAL_ARCHIVE_RETENTION_DAYS, DEFAULT_ARCHIVE_RETENTION_DAYS } from './history';
