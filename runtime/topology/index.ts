export { deriveTopology, queueRoles, assertResourceNamePart } from './topology';
export type {
  Topology,
  TopologyInput,
  QueueModel,
  RpcQueueModel,
  ListenerModel,
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
  deadLetterQueueName,
  DEAD_LETTER_SUFFIX,
} from './naming';
